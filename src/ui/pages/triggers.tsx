import { TRIGGER_STATUS, type TriggerFilter, type TriggerRecord } from "../../store/types.js";
import { Layout, NameCell, type PageContext, Pager, RequestCell, Status, Tags, Time } from "../components.js";

const KIND_LABEL = { job: "one-shot", tick: "generator tick", run: "generator run", callback: "callback" } as const;

/** The trigger listing with its filters (a GET form: filters stay in the URL, shareable) and paging. */
export function TriggersPage(props: { page: PageContext; searchNewest: number; filter: TriggerFilter; triggers: TriggerRecord[]; firstHref: string | null; nextHref: string | null }) {
  const { filter } = props;
  return (
    <Layout title="Triggers" page={props.page} section="triggers">
      <h1>Triggers</h1>
      <p class="actions">
        <a class="button" href="/ui/new?kind=once">
          New one-shot
        </a>
      </p>
      <form class="filters" method="get" action="/ui/triggers" role="search">
        <label for="f-status">
          Status
          <select id="f-status" name="status">
            <option value="">any</option>
            {Object.keys(TRIGGER_STATUS).map((status) => (
              <option value={status} selected={filter.status === status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label for="f-kind">
          Kind
          <select id="f-kind" name="kind">
            <option value="">any</option>
            <option value="job" selected={filter.kind === "job"}>
              one-shot
            </option>
            <option value="generator" selected={filter.kind === "generator"}>
              generator instance
            </option>
            <option value="callback" selected={filter.kind === "callback"}>
              callback
            </option>
          </select>
        </label>
        <label for="f-tag">
          Tag
          <input id="f-tag" name="tag" value={filter.tag ?? ""} />
        </label>
        <label for="f-key">
          Custom key
          <input id="f-key" name="key" value={filter.customKey ?? ""} />
        </label>
        <label for="f-q">
          Title or URL contains
          <input id="f-q" name="q" type="search" value={filter.search ?? ""} />
        </label>
        <button type="submit">Filter</button>
        <a href="/ui/triggers">Clear</a>
      </form>
      {filter.search !== undefined && (
        <p class="muted" data-testid="search-scope">
          The text search looks at the newest {props.searchNewest.toLocaleString("en")} triggers of the project; narrow older ones down by status, kind, tag or
          custom key.
        </p>
      )}
      {props.triggers.length === 0 ? (
        <p class="muted">No trigger matches.</p>
      ) : (
        <div class="scroll">
          <table data-testid="trigger-list">
            <thead>
              <tr>
                <th scope="col">Trigger</th>
                <th scope="col">Status</th>
                <th scope="col">Due</th>
                <th scope="col">Request</th>
                <th scope="col" class="hide-narrow">Kind</th>
                <th scope="col" class="hide-narrow">Attempts</th>
                <th scope="col" class="hide-narrow">Tags</th>
              </tr>
            </thead>
            <tbody>
              {props.triggers.map((t) => (
                <tr>
                  <NameCell href={`/ui/triggers/${t.id}`} id={t.id} title={t.title} customKey={t.customKey} />
                  <td>
                    <Status status={t.status} />
                  </td>
                  <td>
                    <Time ms={t.scheduledAt} />
                  </td>
                  <RequestCell method={t.method} url={t.url} />
                  <td class="hide-narrow">{KIND_LABEL[t.origin]}</td>
                  <td class="hide-narrow">{t.attempts}</td>
                  <td class="hide-narrow">
                    <Tags tags={t.tags} />
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

export { KIND_LABEL };
