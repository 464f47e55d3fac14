// Test-only entry point: Hourglass exactly as `npm start` runs it (src/server.ts, compiled by
// `npm run build`), plus a failpoint wired into the dispatcher — the process kills itself with
// SIGKILL right after a claim commits (`after-claim`) or right after a target answered, before
// the outcome is recorded (`after-send`). Production code neither reads nor documents it.
//
//   node test/support/failpoint-main.mjs after-claim|after-send   (environment as for main.js)
import { runHourglass } from "../../dist/server.js";

const at = process.argv[2];
if (at !== "after-claim" && at !== "after-send") {
  process.stderr.write(`usage: failpoint-main.mjs after-claim|after-send (got ${JSON.stringify(at)})\n`);
  process.exit(2);
}
runHourglass(process.env, { failpoint: { at, crash: () => process.kill(process.pid, "SIGKILL") } });
