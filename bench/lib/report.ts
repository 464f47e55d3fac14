/** A Markdown table: one header row and rows of already formatted cells. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/** A number with `digits` decimals and thousands separators; "–" for null. */
export function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds with one decimal under 10, whole above. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return num(value, Math.abs(value) < 10 ? 1 : 0);
}

/** Bytes as MB (10^6) with one decimal. */
export function mb(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? "–" : `${num(bytes / 1e6, 1)} MB`;
}

/** A ratio "1.23×"; "–" when either side is missing or the denominator is zero. */
export function ratio(better: number | null | undefined, worse: number | null | undefined): string {
  if (better === null || better === undefined || worse === null || worse === undefined || worse === 0) return "–";
  return times(better / worse);
}

/** A ratio as "1.23×". */
export function times(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${num(value, 2)}×`;
}

/** A share 0..1 as a percentage. */
export function pct(share: number | null | undefined): string {
  return share === null || share === undefined ? "–" : `${num(share * 100, 1)}%`;
}
