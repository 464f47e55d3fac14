import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * Every relative link in README.md and docs/ must point somewhere: the file exists and, for
 * `path#anchor` and `#anchor`, the anchor is a heading of the target file under GitHub's slug
 * rules. Markdown files reached through those links (bench/README.md, bench/results/…) are
 * checked the same way. Links inside code blocks and absolute URLs are not checked.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A link as written: `[text](target)`, `![alt](target)` or `[label]: target`. */
interface Link {
  line: number;
  target: string;
}

/** The file's lines with fenced code blocks blanked (line numbers kept). */
function proseLines(markdown: string): string[] {
  const lines = markdown.split("\n");
  let fence: string | null = null;
  return lines.map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null) {
      if (marker !== undefined) {
        fence = marker;
        return "";
      }
      return line;
    }
    if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
    return "";
  });
}

/** Removes inline code spans, so that `[x](y)` written as code is not a link. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[^`]*?\1/g, "");
}

/** The relative links of a Markdown file (absolute URLs, `mailto:` and the like left out). */
function relativeLinks(markdown: string): Link[] {
  const links: Link[] = [];
  proseLines(markdown).forEach((raw, index) => {
    const line = withoutCodeSpans(raw);
    const found = [
      ...[...line.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? ""),
      ...[...line.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/g)].map((m) => m[1] ?? ""),
    ];
    for (const target of found) {
      if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue;
      links.push({ line: index + 1, target });
    }
  });
  return links;
}

/** A heading's anchor as GitHub makes it: the text as rendered, lowercased, punctuation removed, spaces to '-'. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/`([^`]*)`/g, "$1") // code spans: their content
    .replace(/<[^>]+>/g, "") // inline HTML
    .replace(/(\*\*|__|\*)(.+?)\1/g, "$2") // emphasis markers
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** The anchors of a Markdown file's headings (ATX `#` headings outside code blocks), duplicates numbered -1, -2. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const m of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) result.add(m[1] ?? "");
  return result;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

/** Every broken relative link reachable from `start`, as `file:line → target (reason)`. */
function brokenLinks(start: string[]): string[] {
  const broken: string[] = [];
  const queue = [...start];
  const visited = new Set<string>();
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (file: string): Set<string> => {
    let set = anchorCache.get(file);
    if (set === undefined) {
      set = anchors(readFileSync(file, "utf8"));
      anchorCache.set(file, set);
    }
    return set;
  };
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (visited.has(file)) continue;
    visited.add(file);
    for (const { line, target } of relativeLinks(readFileSync(file, "utf8"))) {
      const where = `${relative(root, file)}:${line} → ${target}`;
      const hash = target.indexOf("#");
      const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
      const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
      const resolved = pathPart === "" ? file : pathPart.startsWith("/") ? join(root, pathPart) : resolve(dirname(file), pathPart);
      if (!existsSync(resolved)) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      const isMarkdown = resolved.endsWith(".md") && statSync(resolved).isFile();
      if (isMarkdown && resolved.startsWith(root)) queue.push(resolved);
      if (anchor !== null && isMarkdown && !anchorsOf(resolved).has(anchor)) broken.push(`${where} (no such heading)`);
    }
  }
  return broken;
}

describe("GitHub heading anchors", () => {
  it("are the rendered text, lowercased, punctuation dropped except - and _, spaces to -", () => {
    expect(slug("`ttr-` headers")).toBe("ttr--headers");
    expect(slug("Admin API and CLI")).toBe("admin-api-and-cli");
    expect(slug("1. Ingest — closed loop, concurrency 32")).toBe("1-ingest--closed-loop-concurrency-32");
    expect(slug("Burst ≥ 2× BullMQ: met (2.37×)")).toBe("burst--2-bullmq-met-237");
    expect(slug("snake_case [and a link](x.md) **bold**")).toBe("snake_case-and-a-link-bold");
  });

  it("number duplicates -1, -2 and ignore headings inside code blocks", () => {
    const set = anchors("# Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n\n## Notes\n");
    expect([...set]).toEqual(["notes", "notes-1", "notes-2"]);
  });

  it("catch a missing file and a missing heading, and skip code and absolute URLs", () => {
    const links = relativeLinks("[a](nowhere.md) [b](#here) `[c](code.md)` [d](https://x.test/y.md)\n```\n[e](f.md)\n```\n[ref]: other.md#top\n");
    expect(links.map((l) => l.target)).toEqual(["nowhere.md", "#here", "other.md#top"]);
  });
});

describe("relative links in README.md and docs/", () => {
  it("all point to an existing file and heading", () => {
    const start = [join(root, "README.md"), ...markdownFiles(join(root, "docs"))];
    expect(brokenLinks(start)).toEqual([]);
  });
});
