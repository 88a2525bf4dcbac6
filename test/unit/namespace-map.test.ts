import { expect } from 'chai';
import { UsageError } from '../../src/core/errors.js';
import {
  applyNamespaceMap,
  atDestination,
  describeMapping,
  destinationOf,
  mappingFingerprint,
  parseMapRule,
  parseNamespaceMap,
  type MappableScope,
} from '../../src/core/namespace-map.js';

const ns = (name: string): MappableScope => {
  const dot = name.indexOf('.');
  return { database: name.slice(0, dot), collection: name.slice(dot + 1) };
};
const scopes = (...names: string[]) => names.map(ns);
/** `source -> destination` of every scope, as the summaries show it. */
const mapped = (rules: string[], ...names: string[]) => applyNamespaceMap(parseNamespaceMap(rules), scopes(...names)).map(describeMapping);
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('namespace mapping (--map SRC=DST)', () => {
  describe('a rule', () => {
    it('is SRC=DST, each side db.coll split at its first dot (a collection name may hold dots)', () => {
      const r = parseMapRule(' auth.user_roles = auth.roles ');
      expect(r.from).to.deep.equal({ database: 'auth', collection: 'user_roles' });
      expect(r.to).to.deep.equal({ database: 'auth', collection: 'roles' });
      expect(r.wildcard).to.equal(false);
      expect(r.text).to.equal('auth.user_roles=auth.roles');
      expect(parseMapRule('app.system.views=app.views').from).to.deep.equal({ database: 'app', collection: 'system.views' });
    });

    it('needs exactly one "=" and both parts on each side', () => {
      expect(refusal(() => parseMapRule('copilot.messages'))).to.match(/must be SRC=DST with one "="/);
      expect(refusal(() => parseMapRule('a.b=c.d=e.f'))).to.match(/one "="/);
      expect(refusal(() => parseMapRule('copilot=copilot_staging'))).to.match(/SRC "copilot" must name a database and a collection.*copilot\.\*=<other>\.\*/);
      expect(refusal(() => parseMapRule('copilot.*=staging.'))).to.match(/DST "staging\." must name a database and a collection/);
    });

    it('has as many "*" in DST as in SRC', () => {
      expect(refusal(() => parseMapRule('copilot.*=copilot_staging.messages'))).to.match(/DST has 0 "\*" and SRC has 1/);
      expect(refusal(() => parseMapRule('copilot.messages=*.messages'))).to.match(/DST has 1 "\*" and SRC has 0/);
    });

    it('refuses "**", which cannot tell where one match ends', () => {
      expect(refusal(() => parseMapRule('copilot.**=x.**'))).to.match(/"\*\*"/);
    });

    it('may not be given twice for one source', () => {
      expect(refusal(() => parseNamespaceMap(['auth.user_roles=auth.roles', 'auth.user_roles=auth.r2']))).to.match(/names auth\.user_roles twice/);
    });

    it('ignores empty lines (a multi-line task input)', () => {
      expect(parseNamespaceMap(['', '  ', 'a.b=c.d']).rules).to.have.length(1);
      expect(parseNamespaceMap(undefined).rules).to.have.length(0);
    });
  });

  describe('wildcards', () => {
    it('rename a whole database: "*" in the collection part matches the rest of the name', () => {
      expect(mapped(['copilot.*=copilot_staging.*'], 'copilot.messages', 'copilot.a.b', 'auth.user_roles')).to.deep.equal([
        'copilot.messages -> copilot_staging.messages',
        'copilot.a.b -> copilot_staging.a.b',
        'auth.user_roles',
      ]);
    });

    it('"*" in the database part stays within the database name', () => {
      expect(mapped(['*.messages=*_staging.messages'], 'copilot.messages', 'auth.messages', 'copilot.threads')).to.deep.equal([
        'copilot.messages -> copilot_staging.messages',
        'auth.messages -> auth_staging.messages',
        'copilot.threads',
      ]);
    });

    it('DST takes the matches in order, and may move them between parts', () => {
      expect(mapped(['*.*=archive.*_*'], 'copilot.messages')).to.deep.equal(['copilot.messages -> archive.copilot_messages']);
      expect(mapped(['copilot.raw_*=copilot_clean.*'], 'copilot.raw_messages', 'copilot.messages')).to.deep.equal(['copilot.raw_messages -> copilot_clean.messages', 'copilot.messages']);
    });

    it('match one character or more, never none', () => {
      expect(refusal(() => mapped(['copilot.raw_*=copilot.*'], 'copilot.raw_'))).to.match(/matches no collection/);
    });

    it('refuse a database name with a dot in it', () => {
      expect(refusal(() => mapped(['copilot.*=*.x'], 'copilot.a.b'))).to.match(/database "a\.b": a database name has no dot/);
    });
  });

  describe('which rule decides', () => {
    it('an exact rule beats a wildcard rule, whatever their order', () => {
      expect(mapped(['copilot.*=copilot_staging.*', 'copilot.messages=copilot_staging.msgs'], 'copilot.messages', 'copilot.threads')).to.deep.equal([
        'copilot.messages -> copilot_staging.msgs',
        'copilot.threads -> copilot_staging.threads',
      ]);
    });

    it('two wildcard rules matching one collection are refused, naming both and the way out', () => {
      const message = refusal(() => mapped(['copilot.*=a.*', '*.messages=b_*.messages'], 'copilot.messages'));
      expect(message).to.include('copilot.messages matches "copilot.*=a.*" and "*.messages=b_*.messages"');
      expect(message).to.include('--map copilot.messages=<db>.<coll>');
    });

    it('overlapping wildcard rules are fine where an exact rule settles the collection they share', () => {
      expect(mapped(['copilot.*=a.*', '*.messages=b_*.messages', 'copilot.messages=c.messages'], 'copilot.messages', 'copilot.threads', 'auth.messages')).to.deep.equal([
        'copilot.messages -> c.messages',
        'copilot.threads -> a.threads',
        'auth.messages -> b_auth.messages',
      ]);
    });
  });

  describe('refused before anything is written', () => {
    it('a rule that matches no collection of the run, naming the rule and what there is', () => {
      const message = refusal(() => applyNamespaceMap(parseNamespaceMap(['copilot.*=s.*', 'auth.users=auth.u']), scopes('copilot.messages', 'auth.user_roles'), 'the export'));
      expect(message).to.include('"auth.users=auth.u" matches no collection of the export');
      expect(message).to.include('it has copilot.messages, auth.user_roles');
      expect(message).not.to.include('copilot.*=s.*"');
    });

    it('two sources sent to one target, naming both and the rule', () => {
      const message = refusal(() => mapped(['copilot.messages=copilot.all', 'copilot.threads=copilot.all'], 'copilot.messages', 'copilot.threads'));
      expect(message).to.include('copilot.messages (by "copilot.messages=copilot.all") and copilot.threads (by "copilot.threads=copilot.all") would both go to copilot.all');
    });

    it('a source renamed onto a collection the map leaves in place', () => {
      const message = refusal(() => mapped(['auth.user_roles=auth.roles'], 'auth.roles', 'auth.user_roles'));
      expect(message).to.include('auth.roles (not mapped) and auth.user_roles (by "auth.user_roles=auth.roles") would both go to auth.roles');
    });

    it('a swap is no collision: each target takes one source', () => {
      expect(mapped(['a.x=a.y', 'a.y=a.x'], 'a.x', 'a.y')).to.deep.equal(['a.x -> a.y', 'a.y -> a.x']);
    });
  });

  describe('the scope keeps its source names', () => {
    it('and carries the destination beside them; destinationOf is the one place that reads it', () => {
      const [s] = applyNamespaceMap(parseNamespaceMap(['copilot.*=copilot_staging.*']), [{ ...ns('copilot.messages'), extra: 1 }]);
      expect(s).to.deep.equal({ database: 'copilot', collection: 'messages', extra: 1, target: { database: 'copilot_staging', collection: 'messages' } });
      expect(destinationOf(s!)).to.deep.equal({ database: 'copilot_staging', collection: 'messages' });
      expect(atDestination(s!)).to.deep.equal({ database: 'copilot_staging', collection: 'messages', extra: 1 });
      expect(destinationOf(ns('auth.user_roles'))).to.deep.equal({ database: 'auth', collection: 'user_roles' });
    });

    it('a rule that maps a name onto itself sets no target', () => {
      expect(applyNamespaceMap(parseNamespaceMap(['copilot.*=copilot.*']), scopes('copilot.messages'))[0]).to.deep.equal(ns('copilot.messages'));
    });

    it('without rules, nothing changes', () => {
      expect(applyNamespaceMap(parseNamespaceMap([]), scopes('a.b'))).to.deep.equal(scopes('a.b'));
    });
  });

  it('a checkpoint remembers the rules, sorted, and nothing without them', () => {
    expect(mappingFingerprint(parseNamespaceMap(['b.*=c.*', 'a.x=a.y']))).to.deep.equal(['a.x=a.y', 'b.*=c.*']);
    expect(mappingFingerprint(parseNamespaceMap([]))).to.equal(undefined);
  });
});
