import { describeCron } from "../../schedule/cron-words.js";
import type { GeneratorRecord } from "../../store/types.js";
import { Layout, NameCell, type PageContext, Pager, RequestCell, Status, Tags, Time } from "../components.js";

/** The generators of the project, newest first, paged. */
export function GeneratorsPage(props: { page: PageContext; generators: GeneratorRecord[]; firstHref: string | null; nextHref: string | null }) {
  return (
    <Layout title="Generators" page={props.page} section="generators">
      <h1>Generators</h1>
      <p class="actions">
        <a class="button" href="/ui/new?kind=cron">
          New generator
        </a>
      </p>
      {props.generators.length === 0 ? (
        <p class="muted">No generator yet: schedule one with a ttr-cron header.</p>
      ) : (
        <div class="scroll">
          <table data-testid="generator-list">
            <thead>
              <tr>
                <th scope="col">Generator</th>
                <th scope="col">Status</th>
                <th scope="col">Schedule · zone</th>
                <th scope="col">Next</th>
                <th scope="col">Request</th>
                <th scope="col" class="hide-narrow">Tags</th>
              </tr>
            </thead>
            <tbody>
              {props.generators.map((g) => (
                <tr>
                  <NameCell href={`/ui/generators/${g.id}`} id={g.id} title={g.title} customKey={g.customKey} />
                  <td>
                    <Status status={g.status} />
                  </td>
                  <td>
                    {describeCron(g.cronExpr)}
                    <div class="muted mono">
                      {g.cronExpr} · {g.cronTz}
                    </div>
                  </td>
                  <td>
                    <Time ms={g.nextAt} />
                  </td>
                  <RequestCell method={g.method} url={g.url} />
                  <td class="hide-narrow">
                    <Tags tags={g.tags} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager firstHref={props.firstHref} nextHref={props.nextHref} />
    </Layout>
  );
}
