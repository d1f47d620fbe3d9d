import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSameOrigin, type Link, nextPageUrl, parseLinkHeader } from '../../../src/registry/link-header.js';

describe('parseLinkHeader', () => {
  const cases: Array<{ name: string; input: string | readonly string[] | undefined; want: Link[] }> = [
    {
      name: 'distribution catalog page',
      input: '</v2/_catalog?last=lab%2Fimg&n=2>; rel="next"',
      want: [{ target: '/v2/_catalog?last=lab%2Fimg&n=2', rel: ['next'], params: {} }],
    },
    {
      name: 'distribution tags page',
      input: '</v2/lab/img/tags/list?last=v2&n=2>; rel="next"',
      want: [{ target: '/v2/lab/img/tags/list?last=v2&n=2', rel: ['next'], params: {} }],
    },
    {
      name: 'unquoted rel',
      input: '</v2/_catalog?n=1&last=a>; rel=next',
      want: [{ target: '/v2/_catalog?n=1&last=a', rel: ['next'], params: {} }],
    },
    {
      name: 'several rel values, lower-cased',
      input: '<https://r.example/v2/_catalog?last=z>; rel="Next  LAST"',
      want: [{ target: 'https://r.example/v2/_catalog?last=z', rel: ['next', 'last'], params: {} }],
    },
    {
      name: 'several links in one header',
      input: '</a?p=1>; rel="prev", </a?p=3>; rel="next", </a?p=9>; rel="last"',
      want: [
        { target: '/a?p=1', rel: ['prev'], params: {} },
        { target: '/a?p=3', rel: ['next'], params: {} },
        { target: '/a?p=9', rel: ['last'], params: {} },
      ],
    },
    {
      name: 'links across several header values',
      input: ['</a?p=1>; rel="prev"', '</a?p=3>; rel="next"'],
      want: [
        { target: '/a?p=1', rel: ['prev'], params: {} },
        { target: '/a?p=3', rel: ['next'], params: {} },
      ],
    },
    {
      name: 'commas and semicolons inside <...>',
      input: '</v2/_catalog?last=a,b;c&n=2>; rel="next", </x>; rel="last"',
      want: [
        { target: '/v2/_catalog?last=a,b;c&n=2', rel: ['next'], params: {} },
        { target: '/x', rel: ['last'], params: {} },
      ],
    },
    {
      name: 'other params, quoted with escapes and commas, names lower-cased',
      input: '</a>; rel="next"; Title="a \\"b\\", c"; type=text/html; crossorigin',
      want: [
        { target: '/a', rel: ['next'], params: { title: 'a "b", c', type: 'text/html', crossorigin: '' } },
      ],
    },
    {
      name: 'only the first rel counts (RFC 8288 §3.3)',
      input: '</a>; rel="prev"; rel="next"',
      want: [{ target: '/a', rel: ['prev'], params: {} }],
    },
    {
      name: 'no rel',
      input: '</a>; title="x"',
      want: [{ target: '/a', rel: [], params: { title: 'x' } }],
    },
    {
      name: 'no params at all',
      input: '</a>',
      want: [{ target: '/a', rel: [], params: {} }],
    },
    {
      name: 'extra whitespace and empty list elements',
      input: ' ,  </a>  ;  rel = "next"  ,, ,\t</b>;rel=last ,',
      want: [
        { target: '/a', rel: ['next'], params: {} },
        { target: '/b', rel: ['last'], params: {} },
      ],
    },
    {
      name: 'a link-value without <...> is skipped',
      input: 'garbage; rel="next", </b>; rel="next"',
      want: [{ target: '/b', rel: ['next'], params: {} }],
    },
    {
      name: 'an unclosed < is dropped',
      input: '</a; rel="next"',
      want: [],
    },
    {
      name: 'junk after a link-value is skipped to the next comma',
      input: '</a>; rel="next" junk "x,y", </b>; rel="last"',
      want: [
        { target: '/a', rel: ['next'], params: {} },
        { target: '/b', rel: ['last'], params: {} },
      ],
    },
    {
      name: 'empty target',
      input: '<>; rel="next"',
      want: [{ target: '', rel: ['next'], params: {} }],
    },
    { name: 'undefined', input: undefined, want: [] },
    { name: 'empty string', input: '', want: [] },
    { name: 'empty array', input: [], want: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(parseLinkHeader(c.input), c.want);
    });
  }
});

describe('nextPageUrl', () => {
  const base = new URL('http://127.0.0.1:41791/v2/_catalog?n=2');
  const cases: Array<{
    name: string;
    input: string | readonly string[] | undefined;
    want: string | undefined;
  }> = [
    {
      name: 'relative target from distribution',
      input: '</v2/_catalog?last=lab%2Fimg&n=2>; rel="next"',
      want: 'http://127.0.0.1:41791/v2/_catalog?last=lab%2Fimg&n=2',
    },
    {
      name: 'absolute target',
      input: '<https://other.example/v2/_catalog?last=a>; rel=next',
      want: 'https://other.example/v2/_catalog?last=a',
    },
    {
      name: 'path-relative target resolves against the request path',
      input: '<_catalog?last=b>; rel="next"',
      want: 'http://127.0.0.1:41791/v2/_catalog?last=b',
    },
    {
      name: 'next among several links',
      input: '</v2/_catalog?p=1>; rel="prev", </v2/_catalog?p=3>; rel="next"',
      want: 'http://127.0.0.1:41791/v2/_catalog?p=3',
    },
    {
      name: 'next in a multi-valued rel',
      input: '</v2/_catalog?p=3>; rel="last next"',
      want: 'http://127.0.0.1:41791/v2/_catalog?p=3',
    },
    {
      name: 'next in the second header value',
      input: ['</v2/_catalog?p=1>; rel="prev"', '</v2/_catalog?p=3>; rel="next"'],
      want: 'http://127.0.0.1:41791/v2/_catalog?p=3',
    },
    {
      name: 'an unparsable next is passed over for the next one',
      input: '<http://[bad>; rel="next", </v2/_catalog?p=4>; rel="next"',
      want: 'http://127.0.0.1:41791/v2/_catalog?p=4',
    },
    { name: 'only prev', input: '</v2/_catalog?p=1>; rel="prev"', want: undefined },
    { name: 'rel="nextpage" is not next', input: '</x>; rel="nextpage"', want: undefined },
    { name: 'no header', input: undefined, want: undefined },
    { name: 'empty header', input: '', want: undefined },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(nextPageUrl(c.input, base)?.href, c.want);
    });
  }
});

describe('isSameOrigin', () => {
  const cases: Array<{ a: string; b: string; want: boolean }> = [
    { a: 'http://127.0.0.1:5000/v2/', b: 'http://127.0.0.1:5000/v2/_catalog?n=1', want: true },
    { a: 'https://r.example/v2/', b: 'https://R.EXAMPLE:443/x', want: true },
    { a: 'http://r.example/v2/', b: 'http://r.example:80/x', want: true },
    { a: 'http://r.example/', b: 'https://r.example/', want: false },
    { a: 'http://127.0.0.1:5000/', b: 'http://127.0.0.2:5000/', want: false },
    { a: 'http://127.0.0.1:5000/', b: 'http://127.0.0.1:5001/', want: false },
    { a: 'https://r.example/', b: 'https://evil.r.example/', want: false },
    { a: 'data:text/plain,x', b: 'data:text/plain,x', want: false },
  ];
  for (const c of cases) {
    test(`${c.a} vs ${c.b}`, () => {
      assert.equal(isSameOrigin(new URL(c.a), new URL(c.b)), c.want);
      assert.equal(isSameOrigin(new URL(c.b), new URL(c.a)), c.want);
    });
  }
});
