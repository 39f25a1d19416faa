// Reads a scenario file: YAML, checked against ScenarioFileSchema, then the rules a schema cannot
// say (durations, ranges, references between fields), then converted to the Scenario model. Every
// problem is reported at once, one line each: `<file>: <field>: expected ..., got ...`.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { fieldName, isPlainObject, schemaProblems, show } from '../agent/config-problems.js';
import { BootwatchError, errorMessage } from '../shared/errors.js';
import { ScenarioChecker } from './scenario-check.js';
import { ScenarioFileSchema, type Scenario, type ScenarioFile } from './scenario-schema.js';

export { ScenarioDefaults, ScenarioLimits } from './scenario-check.js';

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BootwatchError(
      'BW_CONFIG_FILE',
      `${file}: cannot read the scenario: ${errorMessage(e)}`,
    );
  }
  return parseScenario(text, file);
}

/** Parses and validates a scenario's YAML text; `source` names it in messages. */
export function parseScenario(text: string, source: string): Scenario {
  const document = parseDocument(text);
  const [error] = document.errors;
  if (error) {
    const at = error.linePos
      ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}`
      : '';
    const what = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
    throw new BootwatchError('BW_CONFIG_FILE', `${source}: not valid YAML${at}: ${what}`);
  }
  let raw: unknown;
  try {
    // maxAliasCount bounds alias expansion (the "billion laughs" document).
    raw = document.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new BootwatchError('BW_CONFIG_FILE', `${source}: not usable YAML: ${errorMessage(e)}`);
  }
  if (!isPlainObject(raw)) {
    const got = `expected a mapping with name, duration, images and traffic, got ${show(raw)}`;
    throw new BootwatchError('BW_CONFIG_INVALID', `${source}: ${got}`);
  }
  const problems = schemaProblems(ScenarioFileSchema, raw);
  if (problems.length === 0) {
    const checked = new ScenarioChecker(raw as ScenarioFile);
    const scenario = checked.scenario(source);
    problems.push(...checked.problems);
    if (problems.length === 0) return scenario;
  }
  const lines = problems.map(
    (p) => `${source}: ${fieldName(p.path) || '(top level)'}: ${p.reason}`,
  );
  throw new BootwatchError('BW_CONFIG_INVALID', lines.join('\n'));
}
