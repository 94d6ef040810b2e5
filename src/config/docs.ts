import { variables } from './variables.js';

/** The configuration table of docs/reference/configuration.md, generated from the schema so the two cannot drift. */
export function configTable(): string {
  const rows = Object.entries(variables).map(([name, v]) => {
    const def = 'default' in v && v.default !== undefined ? `\`${v.default}\`` : '(unset)';
    return `| \`${name}\` | ${def} | ${v.doc} |`;
  });
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}
