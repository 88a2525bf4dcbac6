import { expect } from 'chai';
import { clearSecrets, redact, redactUri, registerSecret } from '../../src/core/secrets.js';

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
