/** The project's Dockerfile, parsed with dockerfile-ast, and the questions tests ask of it. */
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { readProjectFile } from './projectFiles.js';

export const dockerfile = DockerfileParser.parse(readProjectFile('Dockerfile'));
const instructions = dockerfile.getInstructions();
export const froms = dockerfile.getFROMs();
export const finalStageName = froms.at(-1)?.getBuildStage() ?? '';

/** Instructions from the stage's FROM up to the next FROM. */
export function stageInstructions(stage: string): Instruction[] {
  const from = froms.find((f) => f.getBuildStage() === stage);
  if (!from) throw new Error(`the Dockerfile has no stage named ${stage}`);
  const start = instructions.indexOf(from);
  const next = instructions.findIndex((i, n) => n > start && i.getKeyword() === 'FROM');
  return instructions.slice(start + 1, next < 0 ? undefined : next);
}

/** An exec-form (JSON array) instruction's argv. */
export function execForm(instruction: Instruction): string[] {
  return JSON.parse(instruction.getRawArgumentsContent() ?? '') as string[];
}

/** The arguments of the `npm ci` that installs the image's production dependencies. */
export function productionInstallArgs(): string[] {
  const install = stageInstructions('deps')
    .filter((i) => i.getKeyword() === 'RUN')
    .map((i) => i.getArgumentsContent() ?? '')
    .find((run) => /^npm ci\b/.test(run));
  if (!install) throw new Error('the deps stage of the Dockerfile runs no `npm ci`');
  return install.split(/\s+/).slice(1);
}
