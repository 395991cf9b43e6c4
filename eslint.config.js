// @ts-check
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * `npm run lint` keeps ESLint's cache, which reuses a file's result while the
 * file and this config are unchanged. The type-aware rules also read the types
 * of what a file imports, so an edit elsewhere can change its result
 * (typescript-eslint#4694). This digest of every file that can change a type
 * goes into the config, so such an edit lints everything again. Test files
 * (`*.test.ts`) are left out, unless they declare something global: nothing
 * imports them, so an edited test file changes only its own result, which the
 * cache already keys on its content.
 */
function typeInputsDigest() {
  const root = import.meta.dirname;
  const hash = createHash('sha256');
  const add = (/** @type {string} */ path) => {
    hash.update(path).update('\0').update(readFileSync(join(root, path))).update('\0');
  };
  for (const file of ['package-lock.json', 'tsconfig.json']) add(file);
  for (const dir of ['infra', 'cli', 'functions', 'local', 'test', 'bench', 'types', 'dashboard']) {
    const files = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .sort();
    for (const file of files) {
      const path = join(dir, file);
      if (file.endsWith('.test.ts') && !/\bdeclare\s+(global|module)\b/.test(readFileSync(join(root, path), 'utf8'))) continue;
      add(path);
    }
  }
  for (const file of readdirSync(root).filter((name) => name.endsWith('.config.ts')).sort()) add(file);
  return hash.digest('hex');
}

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: { rollgateTypeInputs: typeInputsDigest() },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // What Lambda bundles: `import { z } from 'zod'` keeps all of zod (locales, JSON Schema) in every bundle, as its
    // namespace object is re-exported whole; a namespace import lets esbuild drop what the code does not use.
    files: ['functions/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'][importKind='value'] > :matches(ImportSpecifier[importKind='value'][imported.name='z'], ImportDefaultSpecifier)",
          message: "import * as z from 'zod': the named export keeps all of zod in every Lambda bundle.",
        },
      ],
    },
  },
  {
    // Release decisions are pure (STYLE.md): the domain defines the values the ledger stores, never the other way round.
    files: ['functions/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/ledger/*', '**/ledger'], message: 'functions/domain/ must not import the ledger: value types live in domain/, the ledger imports them.' },
            { group: ['**/adapters/*', '**/adapters/**'], message: 'functions/domain/ is pure: no adapters.' },
          ],
        },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
