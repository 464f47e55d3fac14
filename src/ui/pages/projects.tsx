import type { ProjectRecord } from "../../store/types.js";
import { CsrfField, Layout, type PageContext, Time } from "../components.js";

/** The operator's list of projects, each with a button to look at it and a link to manage it; a form to create one. */
export function ProjectsPage(props: { page: PageContext; projects: ProjectRecord[]; error?: string }) {
  return (
    <Layout title="Projects" page={props.page} section="projects">
      <h1>Projects</h1>
      <form class="filters" method="post" action="/ui/projects" aria-label="Create a project">
        <CsrfField token={props.page.csrf} />
        <label for="new-project">
          New project's name
          <input id="new-project" name="name" maxlength={100} required aria-describedby={props.error === undefined ? undefined : "new-project-error"} />
        </label>
        <button type="submit">Create project</button>
        {props.error !== undefined && (
          <span class="field-error" id="new-project-error" data-testid="error-name">
            {props.error}
          </span>
        )}
      </form>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col" class="hide-narrow">Created</th>
              <th scope="col">This month</th>
              <th scope="col">Quota</th>
              <th scope="col">Rate limit</th>
              <th scope="col">
                <span class="skip">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.projects.map((project) => (
              <tr>
                <td>
                  <a href={`/ui/projects/${project.id}`}>{project.name}</a>
                </td>
                <td class="mono">{project.id}</td>
                <td class="hide-narrow">
                  <Time ms={project.createdAt} />
                </td>
                <td>{project.usedThisMonth}</td>
                <td>{project.monthQuota ?? "none"}</td>
                <td>{project.rateLimit === null ? "none" : `${project.rateLimit}/s`}</td>
                <td>
                  <form method="post" action="/ui/project">
                    <CsrfField token={props.page.csrf} />
                    <input type="hidden" name="projectId" value={project.id} />
                    <button type="submit" aria-label={`View project ${project.name}`}>
                      {props.page.projectId === project.id ? "Viewing" : "View"}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}
