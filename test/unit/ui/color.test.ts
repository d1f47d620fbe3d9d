// When ferry colours: --no-color > NO_COLOR (non-empty) > FORCE_COLOR > a TTY whose TERM is not
// dumb, decided for stdout and stderr apart; and what colour is used for (ls -l header, the
// "warning:" label), never the data's text.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { colorEnabled, streamColors } from '../../../src/ui/color.js';
import { Status } from '../../../src/ui/output.js';
import { renderTable } from '../../../src/ui/table.js';

const ESC = '\u001b[';

describe('colorEnabled', () => {
  const cases: Array<
    [what: string, flag: boolean | undefined, env: NodeJS.ProcessEnv, isTTY: boolean, want: boolean]
  > = [
    ['a TTY', undefined, {}, true, true],
    ['a TTY, TERM=xterm', undefined, { TERM: 'xterm-256color' }, true, true],
    ['not a TTY (a pipe, a file)', undefined, {}, false, false],
    ['TERM=dumb on a TTY', undefined, { TERM: 'dumb' }, true, false],
    ['NO_COLOR=1 on a TTY', undefined, { NO_COLOR: '1' }, true, false],
    ['NO_COLOR=0 counts too (any non-empty value)', undefined, { NO_COLOR: '0' }, true, false],
    ['NO_COLOR empty is ignored', undefined, { NO_COLOR: '' }, true, true],
    ['--no-color on a TTY', false, {}, true, false],
    ['--no-color beats FORCE_COLOR', false, { FORCE_COLOR: '1' }, true, false],
    ['NO_COLOR beats FORCE_COLOR', undefined, { NO_COLOR: '1', FORCE_COLOR: '1' }, false, false],
    ['FORCE_COLOR=1 off a TTY', undefined, { FORCE_COLOR: '1' }, false, true],
    ['FORCE_COLOR=1 with TERM=dumb', undefined, { FORCE_COLOR: '1', TERM: 'dumb' }, false, true],
    ['FORCE_COLOR=0 on a TTY', undefined, { FORCE_COLOR: '0' }, true, false],
    ['FORCE_COLOR=false on a TTY', undefined, { FORCE_COLOR: 'false' }, true, false],
    ['FORCE_COLOR empty is ignored', undefined, { FORCE_COLOR: '' }, false, false],
  ];
  for (const [what, flag, env, isTTY, want] of cases) {
    test(what, () => assert.equal(colorEnabled({ flag, env, isTTY }), want));
  }
});

describe('streamColors: stdout and stderr decided apart', () => {
  test('stdout piped, stderr a terminal', () => {
    const c = streamColors(undefined, {}, { stdout: { isTTY: false }, stderr: { isTTY: true } });
    assert.equal(c.stdout.red('x'), 'x');
    assert.ok(c.stderr.red('x').startsWith(ESC));
  });
  test('stderr redirected, stdout a terminal', () => {
    const c = streamColors(undefined, {}, { stdout: { isTTY: true }, stderr: {} });
    assert.ok(c.stdout.bold('x').startsWith(ESC));
    assert.equal(c.stderr.bold('x'), 'x');
  });
  test('NO_COLOR turns both off', () => {
    const c = streamColors(
      undefined,
      { NO_COLOR: 'yes' },
      { stdout: { isTTY: true }, stderr: { isTTY: true } },
    );
    assert.deepEqual([c.stdout.bold('x'), c.stderr.bold('x')], ['x', 'x']);
  });
});

describe('what is coloured', () => {
  const on = streamColors(undefined, { FORCE_COLOR: '1' }, { stdout: {}, stderr: {} });
  const off = streamColors(undefined, {}, { stdout: {}, stderr: {} });

  test('the ls -l header is bold with colour, plain without; the cells never', async () => {
    const coloured = await renderTable(['TAG', 'SIZE'], [['v1', '1 B']], on.stdout);
    const plain = await renderTable(['TAG', 'SIZE'], [['v1', '1 B']], off.stdout);
    assert.ok(coloured.split('\n')[0]?.includes(`${ESC}1mTAG`));
    assert.equal(coloured.split('\n')[1], plain.split('\n')[1], 'rows are the same text');
    assert.ok(!plain.includes(ESC));
  });

  test('the warning label is yellow with colour; the text stays plain; warnings show under --quiet', () => {
    const written = (color: typeof on.stderr) => {
      let out = '';
      const stream = new Writable({
        write(chunk, _enc, done) {
          out += String(chunk);
          done();
        },
      });
      new Status(stream, true, color).warn('the registry sent a Warning header');
      return out;
    };
    assert.equal(written(off.stderr), 'ferry: warning: the registry sent a Warning header\n');
    assert.equal(
      written(on.stderr),
      `ferry: ${ESC}33mwarning:${ESC}39m the registry sent a Warning header\n`,
    );
  });
});
