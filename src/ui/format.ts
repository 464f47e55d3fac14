/** Pure formatting for the dashboard: durations, sizes, body previews. */

const utf8 = new TextDecoder("utf-8", { fatal: true });
/** Control characters other than tab, newline and carriage return: such a body is shown as hex. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A stored body as the dashboard previews it. */
export type BodyPreview =
  | { kind: "none" }
  | { kind: "text"; size: number; text: string; truncated: boolean }
  | { kind: "binary"; size: number; lines: string[]; truncated: boolean };

/**
 * Text when the bytes are UTF-8 without control characters, a hex dump otherwise (16 bytes a
 * line: offset, hex, printable ASCII), cut at `maxBytes`. A cut may split a UTF-8 sequence: the
 * whole body decides the kind, the cut only what is shown.
 */
export function previewBody(body: Uint8Array | null, maxBytes: number): BodyPreview {
  if (body === null || body.byteLength === 0) return { kind: "none" };
  const truncated = body.byteLength > maxBytes;
  const text = decodeText(body);
  if (text !== null) {
    return { kind: "text", size: body.byteLength, text: truncated ? new TextDecoder().decode(body.subarray(0, maxBytes)) : text, truncated };
  }
  return { kind: "binary", size: body.byteLength, lines: hexDump(body.subarray(0, maxBytes)), truncated };
}

function decodeText(body: Uint8Array): string | null {
  try {
    const text = utf8.decode(body);
    return CONTROL.test(text) ? null : text;
  } catch {
    return null;
  }
}

/** `00000010  7b 22 61 22 3a 31 7d 0a                          |{"a":1}.|` */
export function hexDump(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return lines;
}

/** `850 ms`, `3.2 s`, `4 min 3 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(abs < 10_000 ? 1 : 0)} s`;
  const parts = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    `${sign}${big} ${bigUnit}${small > 0 ? ` ${small} ${smallUnit}` : ""}`;
  const seconds = Math.floor(abs / 1000);
  if (abs < 3_600_000) return parts(Math.floor(seconds / 60), "min", seconds % 60, "s");
  const minutes = Math.floor(seconds / 60);
  if (abs < 86_400_000) return parts(Math.floor(minutes / 60), "h", minutes % 60, "min");
  const hours = Math.floor(minutes / 60);
  return parts(Math.floor(hours / 24), "d", hours % 24, "h");
}

/** `512 B`, `3.4 KiB`, `1.2 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `2026-06-01 12:00:00 UTC`: what a time shows before the page script puts it in the viewer's zone. */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
