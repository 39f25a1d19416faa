// What text bootwatch accepts into its store, from agents, events and the image registry. Ids and
// labels (an instance id, an AMI version, a region) must be printable: no control character (C0
// U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F) and no lone UTF-16 surrogate. PostgreSQL refuses
// NUL in text (the write fails: a 5xx an exporter retries forever); a lone surrogate has no UTF-8
// form (SQLite stores U+FFFD instead, so the stored id is not the id sent); a control character in
// a label or a log line is an injection, never a real name. Free text (a cloud-init error message)
// may also hold tabs and line breaks.
//
// Both rules as JSON-schema patterns (TypeBox and Fastify's ajv read them the same, with or
// without the `u` flag) and as TypeBox formats, whose error says `'printable' format`.
import { FormatRegistry } from '@sinclair/typebox';

const Surrogates = '\\ud800-\\udfff';
const Pair = '[\\ud800-\\udbff][\\udc00-\\udfff]';

export const PrintablePattern = `^(?:[^\\u0000-\\u001f\\u007f-\\u009f${Surrogates}]|${Pair})*$`;
export const FreeTextPattern = `^(?:[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f${Surrogates}]|${Pair})*$`;

const printable = new RegExp(PrintablePattern);
const control = /[\p{Cc}]/u;
const notFreeText = new RegExp(
  '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]|' +
    '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]',
  'g',
);
const freeText = new RegExp(FreeTextPattern);

export const isPrintable = (text: string): boolean => printable.test(text);
export const isFreeText = (text: string): boolean => freeText.test(text);

/** Empty or only whitespace. */
export const isBlank = (text: string): boolean => text.trim() === '';

/** Format names are prefixed: FormatRegistry is global to the process (see agent/config-schema.ts). */
export const TextFormat = {
  printable: 'bootwatch-printable',
  freeText: 'bootwatch-free-text',
} as const;
if (!FormatRegistry.Has(TextFormat.printable))
  FormatRegistry.Set(TextFormat.printable, isPrintable);
if (!FormatRegistry.Has(TextFormat.freeText)) FormatRegistry.Set(TextFormat.freeText, isFreeText);

/** Why `text` is not printable, for an error message; null when it is. */
export function printableProblem(text: string): string | null {
  if (isPrintable(text)) return null;
  return control.test(text)
    ? 'contains a control character'
    : 'is not valid UTF-16 (holds a lone surrogate)';
}

/**
 * Free text as it can be stored: each character free text may not hold (a NUL, an escape, a lone
 * surrogate) becomes U+FFFD, as a UTF-8 decoder shows a byte it cannot read.
 * `"exit 1\u0000\u001b[31m"` -> `"exit 1\uFFFD\uFFFD[31m"`.
 */
export function freeTextOf(text: string): string {
  return isFreeText(text) ? text : text.replace(notFreeText, '\uFFFD');
}
