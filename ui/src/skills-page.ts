import { html } from 'htm/preact';
import { getAll } from './api.js';
import { dateTime } from './format.js';
import { useLoad } from './use-load.js';

interface Skill {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly created_at: number;
  readonly default_version: string | number;
  readonly latest_version: string | number;
}

/** The project's skills, as the Skills API lists them. */
export function SkillsPage() {
  const skills = useLoad(() => getAll<Skill>('/v1/skills?order=desc'), []);
  return html`
    <section>
      <h1>Skills</h1>
      ${skills.error && html`<p class="error" role="alert">${skills.error}</p>`}
      <table>
        <thead>
          <tr>
            <th>Skill</th>
            <th>Name</th>
            <th>Description</th>
            <th>Default / latest version</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          ${(skills.value ?? []).map(
            (skill) =>
              html`<tr>
                <td>${skill.id}</td>
                <td>${skill.name}</td>
                <td>${skill.description}</td>
                <td>${String(skill.default_version)} / ${String(skill.latest_version)}</td>
                <td>${dateTime(skill.created_at)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${skills.value?.length === 0 && html`<p>No skills yet.</p>`}
    </section>
  `;
}
