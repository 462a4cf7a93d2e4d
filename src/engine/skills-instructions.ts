import type { ContainerSkillInfo } from '../containers/shell-host.js';

/**
 * The lines added to a response's instructions when its shell's container has skills, so the model
 * knows what is there and where: each skill's name, description and SKILL.md path. The model reads
 * SKILL.md and runs the skill's scripts with the shell itself, as with OpenAI's hosted skills.
 */
export function skillsInstructions(skills: readonly ContainerSkillInfo[]): string | null {
  if (skills.length === 0) return null;
  const lines = skills.map((skill) => `- ${skill.name}: ${skill.description} (${skill.path}/SKILL.md)`);
  return [
    "Skills are installed in the shell's container under /skills (read-only). A skill is a folder of",
    'instructions and scripts: when one fits the task, read its SKILL.md with the shell first and follow it.',
    ...lines,
  ].join('\n');
}

/** The client's instructions followed by Berth's own additions, or whichever exists. */
export function withAddedInstructions(client: string | null, added: string | null): string | null {
  if (added === null) return client;
  return client ? `${client}\n\n${added}` : added;
}
