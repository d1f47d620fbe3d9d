// The --format template engine, table-driven: what renders, what is refused (a UsageError, exit
// 2, naming the field and the valid ones), and which fields a template reads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExitCode, UsageError } from '../../../src/errors.js';
import { f, t } from '../../../src/ui/shape.js';
import { compileTemplate } from '../../../src/ui/template.js';

const shape = t.object({
  tag: f(t.string, ''),
  digest: f(t.string, ''),
  mediaType: f(t.string, ''),
  platforms: f(t.list(t.string), ''),
  size: f(t.number, ''),
  created: f(t.nullable(t.string), ''),
  exists: f(t.boolean, ''),
  owner: f(t.object({ name: f(t.string, ''), ids: f(t.list(t.number), '') }), ''),
  manifest: f(t.any, ''),
});

const item = {
  tag: 'v1.2',
  digest: 'sha256:abc',
  mediaType: 'application/vnd.oci.image.index.v1+json',
  platforms: ['linux/amd64', 'linux/arm64/v8'],
  size: 2593,
  created: null,
  exists: true,
  owner: { name: 'Ann', ids: [1, 2] },
  manifest: {
    schemaVersion: 2,
    layers: [{ size: 3 }, { size: 4 }],
    Config: { digest: 'sha256:c' },
    config: { Labels: { 'org.opencontainers.image.source': 'https://example.com/app', 'a.b': 'c' } },
  },
};

const render = (source: string, value: unknown = item) => compileTemplate(source, shape).render(value);

describe('compileTemplate: rendering', () => {
  const cases: Array<[template: string, want: string]> = [
    ['', ''],
    ['plain text', 'plain text'],
    ['{{.Tag}}', 'v1.2'],
    ['{{.Tag}} {{.Digest}}', 'v1.2 sha256:abc'],
    ['{{ .Tag }}', 'v1.2'],
    ['{{.Size}}', '2593'],
    ['{{.Exists}}', 'true'],
    ['{{.Created}}', ''], // null prints as nothing, not <nil>
    ['[{{.Created}}]', '[]'],
    ['{{.Platforms}}', '[linux/amd64 linux/arm64/v8]'], // Go's %v for a list
    ['{{.Owner}}', 'map[ids:[1 2] name:Ann]'], // Go's %v for a map: keys sorted
    ['{{.Owner.Name}}', 'Ann'],
    ['{{.Owner.Ids}}', '[1 2]'],
    // escapes in the text: a shell single-quoted '\t' is a tab, as with docker
    ['{{.Tag}}\\t{{.Size}}', 'v1.2\t2593'],
    ['{{.Tag}}\\n{{.Size}}', 'v1.2\n2593'],
    ['a\\\\tb', 'a\\tb'],
    ['a\\xb', 'a\\xb'], // other backslashes stay
    ['tab\there', 'tab\there'], // a real tab stays a tab
    // json
    ['{{json .Platforms}}', '["linux/amd64","linux/arm64/v8"]'],
    ['{{json .Created}}', 'null'],
    ['{{json .Tag}}', '"v1.2"'],
    ['{{json .Size}}', '2593'],
    ['{{json .Owner}}', '{"name":"Ann","ids":[1,2]}'],
    ['{{json .Manifest.layers}}', '[{"size":3},{"size":4}]'],
    // join, upper, lower, len
    ['{{join .Platforms ","}}', 'linux/amd64,linux/arm64/v8'],
    ['{{join .Platforms ", "}}', 'linux/amd64, linux/arm64/v8'],
    ['{{join .Owner.Ids "+"}}', '1+2'],
    ['{{join .Tag ","}}', 'v1.2'], // a single value joins as itself
    ['{{join .Created ","}}', ''],
    ['{{upper .Tag}}', 'V1.2'],
    ['{{lower .MediaType}}', 'application/vnd.oci.image.index.v1+json'],
    ['{{len .Platforms}}', '2'],
    ['{{len .Tag}}', '4'],
    ['{{len .Manifest.layers}}', '2'],
    ['{{len .Owner}}', '2'],
    // pipes: the value goes last; join finds its list either way
    ['{{.Tag | upper}}', 'V1.2'],
    ['{{.Tag | upper | lower}}', 'v1.2'],
    ['{{.Platforms | join ";"}}', 'linux/amd64;linux/arm64/v8'],
    ['{{.Platforms | len}}', '2'],
    ['{{len (join .Platforms ",")}}', '26'],
    ['{{upper (join .Platforms " ")}}', 'LINUX/AMD64 LINUX/ARM64/V8'],
    ['{{len (join .Platforms ",") }}x)', '26x)'], // a ")" after the action is text
    // literals
    ['{{"quoted \\"x\\""}}', 'quoted "x"'],
    ['{{`raw \\n`}}', 'raw \\n'],
    ['{{"}}"}}', '}}'], // "}}" inside a string does not end the action
    ['{{42}}', '42'],
    ['{{-3}}', '-3'], // no space after "{{-": a number, not a trim
    ['{{true}}', 'true'],
    // the item itself, and $
    ['{{json .}}', JSON.stringify(item)],
    ['{{$.Tag}}', 'v1.2'],
    ['{{json $.Size}}', '2593'],
    // free-form JSON: names as written, or PascalCase of camelCase keys
    ['{{.Manifest.schemaVersion}}', '2'],
    ['{{.Manifest.SchemaVersion}}', '2'],
    ['{{.Manifest.Config.digest}}', 'sha256:c'],
    ['{{.Manifest.nothing.deeper}}', ''],
    // trim markers and comments
    ['a  {{- .Tag -}}  b', 'av1.2b'],
    ['a \n {{- .Tag}}', 'av1.2'],
    ['{{.Tag -}} \n b', 'v1.2b'],
    ['x{{/* a comment */}}y', 'xy'],
    ['x {{- /* trimmed */ -}} y', 'xy'],
    // if / else if / else
    ['{{if .Exists}}yes{{end}}', 'yes'],
    ['{{if .Created}}yes{{else}}no{{end}}', 'no'],
    ['{{if .Platforms}}multi{{end}}', 'multi'],
    ['{{if eq .Tag "latest"}}L{{else if eq .Tag "v1.2"}}V{{else}}?{{end}}', 'V'],
    ['{{if eq .Tag "a" "b" "v1.2"}}any{{end}}', 'any'],
    ['{{if ne .Size 0}}sized{{end}}', 'sized'],
    ['{{if eq .Size 2593}}n{{end}}', 'n'],
    ['{{if not .Created}}none{{end}}', 'none'],
    ['{{if not .Exists}}x{{else}}y{{end}}', 'y'],
    // range: . is the element, $ the item; else when empty
    ['{{range .Platforms}}<{{.}}>{{end}}', '<linux/amd64><linux/arm64/v8>'],
    ['{{range .Platforms}}{{$.Tag}}@{{.}} {{end}}', 'v1.2@linux/amd64 v1.2@linux/arm64/v8 '],
    ['{{range .Manifest.layers}}{{.size}},{{end}}', '3,4,'],
    ['{{range .Manifest.layers}}{{.Size}},{{end}}', '3,4,'],
    ['{{range .Owner.Ids}}{{.}}{{end}}', '12'],
    ['{{range .Platforms}}{{upper .}}{{else}}none{{end}}', 'LINUX/AMD64LINUX/ARM64/V8'],
    ['{{range .Manifest.none}}x{{else}}empty{{end}}', 'empty'],
    ['{{range .Platforms}}{{if eq . "linux/amd64"}}A{{else}}B{{end}}{{end}}', 'AB'],
    ['{{range .Manifest.Config}}{{.}}{{end}}', 'sha256:c'], // an object: its values
    // index: keys a field name cannot spell; lists by number; missing is nothing
    ['{{index .Manifest.config.Labels "org.opencontainers.image.source"}}', 'https://example.com/app'],
    ['{{index .Manifest "config" "Labels" "a.b"}}', 'c'],
    ['{{index .Manifest.config.Labels "missing"}}', ''],
    ['{{index .Platforms 1}}', 'linux/arm64/v8'],
    ['{{index .Platforms 9}}', ''],
    ['{{index .Manifest.layers 0 "size"}}', '3'],
    ['{{index .Tag "x"}}', ''],
    ['{{index .Manifest.config.Labels "toString"}}', ''], // own keys only
    ['{{if index .Manifest.config.Labels "a.b"}}labelled{{end}}', 'labelled'],
    ['{{upper (index .Manifest.config.Labels "a.b")}}', 'C'],
    // printf: Go's verbs, flags, width and precision
    ['{{printf "%s=%d" .Tag .Size}}', 'v1.2=2593'],
    ['{{printf "%-6s|" .Tag}}', 'v1.2  |'],
    ['{{printf "%6s|" .Tag}}', '  v1.2|'],
    ['{{printf "%06d" .Size}}', '002593'],
    ['{{printf "%+d" .Size}}', '+2593'],
    ['{{printf "%.2f" 3.14159}}', '3.14'],
    ['{{printf "%x %X" 255 255}}', 'ff FF'],
    ['{{printf "%x" "ab"}}', '6162'],
    ['{{printf "%q" .Tag}}', '"v1.2"'],
    ['{{printf "%v" .Platforms}}', '[linux/amd64 linux/arm64/v8]'],
    ['{{printf "%t" .Exists}}', 'true'],
    ['{{printf "%.3s" .MediaType}}', 'app'],
    ['{{printf "100%%"}}', '100%'],
    ['{{printf "%s %s" .Tag}}', 'v1.2 %!s(MISSING)'],
    ['{{printf "%d" .Tag}}', '%!d(v1.2)'],
    ['{{.Tag | printf "<%s>"}}', '<v1.2>'],
    ['{{printf "%-14s" (index .Manifest.config.Labels "a.b")}}|', 'c             |'],
  ];
  for (const [template, want] of cases) {
    test(JSON.stringify(template), () => assert.equal(render(template), want));
  }

  test('one template, many items: parsed once, rendered per item', () => {
    const tpl = compileTemplate('{{.Tag}}={{.Size}}', shape);
    assert.deepEqual(
      [{ tag: 'a', size: 1 }, { tag: 'b', size: 2 }, item].map((i) => tpl.render(i)),
      ['a=1', 'b=2', 'v1.2=2593'],
    );
  });

  test('a missing value prints as nothing (an item a command left short)', () => {
    assert.equal(render('{{.Tag}}|{{.Digest}}|{{.Owner.Name}}', { tag: 'x' }), 'x||');
  });
});

describe('compileTemplate: refused before anything runs (UsageError, exit 2)', () => {
  const cases: Array<[template: string, message: RegExp]> = [
    [
      '{{.Nope}}',
      /^--format: unknown field \.Nope; valid fields: \.Tag, \.Digest, \.MediaType, \.Platforms, \.Size, \.Created, \.Exists, \.Owner, \.Manifest \(at column 3\)$/,
    ],
    ['{{.tag}}', /unknown field \.tag; did you mean \.Tag\?/],
    ['{{.TAG}}', /did you mean \.Tag\?/],
    ['{{.Owner.Nope}}', /unknown field \.Owner\.Nope; valid fields: \.Owner\.Name, \.Owner\.Ids/],
    ['{{.Tag.Length}}', /\.Tag is a string and has no field \.Length/],
    ['{{.Platforms.First}}', /\.Platforms is a string\[\] and has no field \.First/],
    ['{{range .Platforms}}{{.Os}}{{end}}', /\. \(the range element\) is a string and has no field \.Os/],
    ['{{$.Nope}}', /unknown field \$\.Nope/],
    ['{{range .Platforms}}{{$.Nope}}{{end}}', /unknown field \$\.Nope/],
    ['{{json .Nope}}', /unknown field \.Nope/],
    ['{{if .Nope}}{{end}}', /unknown field \.Nope/],
    ['{{.Tag', /unclosed action/],
    ['{{"abc}}', /unclosed string/],
    ['{{`abc}}', /unclosed raw string/],
    ['{{/* abc', /unclosed comment/],
    ['{{}}', /empty action/],
    [
      '{{nope .Tag}}',
      /unknown function "nope" \(functions: json, join, upper, lower, len, eq, ne, not, index, printf\)/,
    ],
    ['{{index .Tag}}', /index takes 2 to 16 arguments, got 1/],
    ['{{printf}}', /printf takes 1 to 16 arguments, got 0/],
    ['{{json}}', /json takes 1 argument, got 0/],
    ['{{json .Tag .Size}}', /json takes 1 argument, got 2/],
    ['{{join .Platforms}}', /join takes 2 arguments, got 1/],
    ['{{.Tag | json .Size}}', /json takes 1 argument, got 2/],
    ['{{.Tag .Size}}', /unexpected value after a value/],
    ['{{.Tag | .Size}}', /only a function can follow "\|"/],
    ['{{.Tag |}}', /missing value/],
    ['{{len (join .Platforms ",")}', /a lone "}": actions end with "}}"/],
    ['{{json upper}}', /needs parentheses/],
    ['{{if .Tag}}x', /unclosed \{\{if\}\}: missing \{\{end\}\}/],
    ['{{range .Platforms}}x', /unclosed \{\{range\}\}/],
    ['x{{end}}', /\{\{end\}\} without \{\{if\}\} or \{\{range\}\}/],
    ['{{else}}', /\{\{else\}\} without/],
    ['{{if .Tag}}{{else}}{{else}}{{end}}', /\{\{else\}\} without/],
    ['{{range .Tag}}{{end}}', /\{\{range\}\} needs a list, not a string/],
    ['{{range .Size}}{{end}}', /needs a list, not a number/],
    ['{{if}}{{end}}', /\{\{if\}\} needs a value/],
    ['{{with .Tag}}{{end}}', /\{\{with\}\} is not supported/],
    ['{{define "x"}}{{end}}', /\{\{define\}\} is not supported/],
    ['{{$x := .Tag}}', /variables are not supported/],
    ['{{.Tag.}}', /a field name must follow/],
    ['{{.1}}', /bad field name/],
    ['{{.Tag & .Size}}', /unexpected "&"/],
    ['{{end .Tag}}', /\{\{end\}\} without/],
    ['{{if .Tag}}{{end .Tag}}', /unexpected value after \{\{end\}\}/],
    ['{{.Tag | if}}', /must start its own action/],
  ];
  for (const [template, message] of cases) {
    test(JSON.stringify(template), () => {
      assert.throws(
        () => compileTemplate(template, shape),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, `a UsageError, got ${String(err)}`);
          assert.equal(err.exitCode, ExitCode.usage);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  test('the flag named in the message is the one given (pull --template)', () => {
    assert.throws(
      () => compileTemplate('{{.X}}', shape, '--template'),
      /^UsageError: --template: unknown field/,
    );
  });

  test('a field error lists the fields instead of the syntax hint; a syntax error has the hint', () => {
    const hintOf = (template: string) => {
      try {
        compileTemplate(template, shape);
      } catch (err) {
        return (err as UsageError).hint;
      }
      return 'no error';
    };
    assert.equal(hintOf('{{.X}}'), undefined);
    assert.match(hintOf('{{.Tag') ?? '', /Go-style/);
  });
});

describe('compileTemplate: the fields a template reads', () => {
  const cases: Array<[template: string, uses: string[] | 'all']> = [
    ['text only', []],
    ['{{.Tag}}', ['tag']],
    ['{{.Tag}} {{.Digest}} {{.Tag}}', ['tag', 'digest']],
    ['{{.Owner.Name}}', ['owner']],
    ['{{json .}}', 'all'],
    ['{{.}}', 'all'],
    ['{{$}}', 'all'],
    ['{{range .Platforms}}{{.}}{{end}}', ['platforms']], // "." in a range is the element
    ['{{range .Platforms}}{{$.Size}}{{end}}', ['platforms', 'size']],
    ['{{if .Created}}{{.Tag}}{{else}}{{.Digest}}{{end}}', ['created', 'tag', 'digest']],
    ['{{range .Platforms}}{{else}}{{.Size}}{{end}}', ['platforms', 'size']], // the else sees the item
    ['{{len (join .Platforms ",")}}', ['platforms']],
  ];
  for (const [template, uses] of cases) {
    test(JSON.stringify(template), () => {
      const got = compileTemplate(template, shape).uses;
      assert.deepEqual(got === 'all' ? 'all' : [...got], uses);
    });
  }
});
