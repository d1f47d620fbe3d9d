/**
 * Token scopes (distribution docs, "Token Scope Documentation"):
 *
 *   scope = resourcetype ":" resourcename ":" action *( "," action )
 *
 * The resource name may itself hold colons (`repository:localhost:5000/a:pull`), so the type
 * ends at the first colon and the actions start after the last one. A Bearer challenge's `scope`
 * param may list several scopes separated by spaces.
 *
 * Actions are written pull, push, then the rest sorted, so one set of scopes always renders as the
 * same string: the token cache is keyed on it.
 */

export interface Scope {
  /** 'repository', 'registry', or a typed class such as 'repository(plugin)'. */
  type: string;
  name: string;
  actions: string[];
}

const ACTION_RANK: Record<string, number> = { pull: 0, push: 1 };

function sortActions(actions: Iterable<string>): string[] {
  const unique = [...new Set(actions)].filter((a) => a !== '');
  return unique.sort((a, b) => {
    const ra = ACTION_RANK[a] ?? 2;
    const rb = ACTION_RANK[b] ?? 2;
    if (ra !== rb) return ra - rb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}

/** `repository:NAME:pull,push`, actions deduplicated and ordered. */
export function repositoryScope(repo: string, actions: readonly string[]): string {
  return formatScope({ type: 'repository', name: repo, actions: sortActions(actions) });
}

/** The scope `GET /v2/_catalog` needs. */
export function catalogScope(): string {
  return 'registry:catalog:*';
}

/**
 * Splits one scope into its parts, or undefined when it has fewer than three parts or an empty
 * type or name. Actions are deduplicated and ordered; the scope comes from a server, so no throw.
 */
export function parseScope(s: string): Scope | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = s.slice(0, first);
  const name = s.slice(first + 1, last);
  if (name === '' || /\s/.test(s)) return undefined;
  return { type, name, actions: sortActions(s.slice(last + 1).split(',')) };
}

/**
 * Union of two scope lists: each entry may hold several space-separated scopes; scopes on the same
 * resource are merged into one with the union of their actions; first-seen order of resources is
 * kept. Strings that are not scopes are kept verbatim (deduplicated), so nothing a server asked
 * for is lost.
 */
export function mergeScopes(a: readonly string[], b: readonly string[]): string[] {
  const merged = new Map<string, { scope: Scope | undefined; raw: string; actions: Set<string> }>();
  for (const entry of [...a, ...b]) {
    for (const raw of entry.split(/\s+/)) {
      if (raw === '') continue;
      const scope = parseScope(raw);
      const key = scope === undefined ? `\0${raw}` : `${scope.type}:${scope.name}`;
      const seen = merged.get(key);
      if (seen === undefined) {
        merged.set(key, { scope, raw, actions: new Set(scope?.actions) });
      } else if (scope !== undefined) {
        for (const action of scope.actions) seen.actions.add(action);
      }
    }
  }
  return [...merged.values()].map(({ scope, raw, actions }) =>
    scope === undefined ? raw : formatScope({ ...scope, actions: sortActions(actions) }),
  );
}
