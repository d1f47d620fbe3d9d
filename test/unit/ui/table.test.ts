// Sizes as `ls -l` shows them: bytes under 1 KiB, then binary units with one decimal under 10.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanSize } from '../../../src/ui/table.js';

test('humanSize: bytes, then KiB, MiB… with one decimal under 10', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 - 1, '10.0 KiB'],
    [10 * 1024, '10 KiB'],
    [1024 ** 2, '1.0 MiB'],
    [173 * 1024 ** 2, '173 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
    [2048 * 1024 ** 4, '2048 TiB'],
    // rates: a transfer's bytes over its seconds (a copy's closing line printed 319.2806412224025 B/s)
    [319.2806412224025, '319 B'],
    [1023.7, '1.0 KiB'],
  ];
  for (const [bytes, shown] of cases) assert.equal(humanSize(bytes), shown, String(bytes));
});
