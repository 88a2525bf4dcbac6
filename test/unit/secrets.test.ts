import { expect } from 'chai';
import { clearSecrets, redact, redactUri, registerSecret, registerUriSecrets, uriSecrets } from '../../src/core/secrets.js';

describe('secret redaction', () => {
  afterEach(() => clearSecrets());

  it('replaces every registered secret, also percent-encoded inside a URI', () => {
    registerSecret('p@ss/word+key==');
    const text = 'key p@ss/word+key== and uri mongodb://u:p%40ss%2Fword%2Bkey%3D%3D@h/';
    expect(redact(text)).to.equal('key <redacted> and uri mongodb://<redacted>@h/');
  });

  it('redacts credentials in URIs and connection strings it was never told about', () => {
    expect(redact('connecting to mongodb+srv://admin:hunter2@cluster0.example.net/db')).to.equal('connecting to mongodb+srv://<redacted>@cluster0.example.net/db');
    expect(redact('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc123==;EndpointSuffix=x')).to.not.include('abc123');
  });

  it('keeps a URI useful while removing user, password, keys and SAS signatures', () => {
    expect(redactUri('mongodb://user:pw@db.example.org:27017/?authSource=admin')).to.equal('mongodb://<redacted>@db.example.org:27017/?authSource=admin');
    expect(redactUri('https://acct.blob.core.windows.net/c?sv=2024&sig=SECRETSIG&se=1')).to.equal('https://acct.blob.core.windows.net/c?sv=2024&sig=<redacted>&se=1');
    expect(redactUri('https://acct.documents.azure.com:443/')).to.equal('https://acct.documents.azure.com:443/');
  });

  it('ignores values too short to be secrets, which would garble every message', () => {
    registerSecret('a');
    expect(redact('a cat')).to.equal('a cat');
  });
});

describe('secrets of a URI: the whole userinfo, however malformed', () => {
  afterEach(() => clearSecrets());

  it('redacts up to the last @, so a password holding / ? # : @ or % is hidden whole', () => {
    for (const uri of [
      'mongodb://bob:pa/ssLeak9@127.0.0.1:43963/',
      'mongodb://bob:Pa@ss!Leak1@host/',
      'mongodb://bob:a?b#c:d@e@host:27017/db?authSource=admin',
      'mongodb+srv://bob:p%40ss%2Fw%zz@cluster0.example.net/',
      'mongodb:/bob:one-slash@host/',
      'bob:no-scheme@host:27017',
      'postgres://ferret:pgSecret@127.0.0.1:5432/postgres',
    ]) {
      const out = redactUri(uri);
      expect(out, uri).to.match(/<redacted>@[^@]*$/);
      expect(out, uri).to.not.match(/Leak|ss!|a\?b|p%40|one-slash|no-scheme|pgSecret/);
    }
    expect(redactUri('mongodb://bob:Pa@ss!Leak1@host/db')).to.equal('mongodb://<redacted>@host/db');
  });

  it('redacts every URI of a message, each to its own last @, and keeps the hosts', () => {
    const text = 'from mongodb://a:x@y@src.example:27017/ to "mongodb+srv://c:z/w@dst.example/" (https://u:v@h/)';
    expect(redact(text)).to.equal('from mongodb://<redacted>@src.example:27017/ to "mongodb+srv://<redacted>@dst.example/" (https://<redacted>@h/)');
  });

  it('leaves a URI without userinfo as it is, and its redacted form stable', () => {
    expect(redact('MongoDB at mongodb://127.0.0.1:27017/?authSource=admin failed')).to.equal('MongoDB at mongodb://127.0.0.1:27017/?authSource=admin failed');
    expect(redact(redact('mongodb://u:secretpw@h/'))).to.equal('mongodb://<redacted>@h/');
  });

  it('redacts secret query parameters: password=, tlsCertificateKeyFilePassword=, AWS session tokens', () => {
    const out = redactUri('mongodb://h/?tlsCertificateKeyFilePassword=certPw1&authMechanismProperties=AWS_SESSION_TOKEN:tok123,X:1&password=pw2345');
    expect(out).to.not.match(/certPw1|tok123|pw2345/);
    expect(out).to.include('X:1');
  });

  it('finds the password as the user gave it, whole, and its decoded form', () => {
    expect(uriSecrets('mongodb://bob:Pa@ss!Leak1@host/')).to.deep.equal(['Pa@ss!Leak1']);
    expect(uriSecrets('mongodb://bob:pa/ssLeak9@127.0.0.1:43963/')).to.deep.equal(['pa/ssLeak9']);
    expect(uriSecrets(' mongodb://bob:p%40ss%3Aword@h/')).to.deep.equal(['p%40ss%3Aword', 'p@ss:word']);
    expect(uriSecrets('mongodb://bob:bad%zzpct@h/')).to.deep.equal(['bad%zzpct']);
    expect(uriSecrets('mongodb://bob@h/')).to.deep.equal([]);
    expect(uriSecrets('mongodb://h:27017/')).to.deep.equal([]);
  });

  it('also registers the pieces the driver would read as host or database when it accepts such a URI', () => {
    // The driver reads user "u", password "Pass1", host "hostpart", database "Leak2@host": it could print them.
    expect(uriSecrets('mongodb://u:Pass1@hostpart/Leak2@host/')).to.include.members(['Pass1@hostpart/Leak2', 'Pass1', 'hostpart', 'Leak2']);
  });

  it('registers the password whole, so no fragment is left and no prefix masks other words', () => {
    registerUriSecrets('mongodb://bob:Pa@ss!Leak1@host/');
    expect(redact('Pa@ss!Leak1 / Pa%40ss!Leak1 / "Pa" is not masked')).to.equal('<redacted> / <redacted> / "Pa" is not masked');
  });

  it('hands each secret to a platform masker as well', () => {
    const masked: string[] = [];
    registerUriSecrets('mongodb://bob:p%2Fw0rd99@h/', (s) => masked.push(s));
    expect(masked).to.deep.equal(['p%2Fw0rd99', 'p/w0rd99']);
  });
});
