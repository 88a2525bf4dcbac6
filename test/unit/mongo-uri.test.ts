import { expect } from 'chai';
import { duration } from '../../src/cli/options.js';
import { checkMongoUri } from '../../src/stores/mongo/uri.js';

describe('MongoDB URI check before anything is created', () => {
  for (const uri of [
    'mongodb://localhost:27017/',
    'mongodb://localhost',
    'mongodb://bob:p%40ss%2Fw%3Ard@db1.example.net:27017,db2.example.net:27018,db3.example.net/app?replicaSet=rs0&authSource=admin',
    'mongodb://[::1]:27017/?directConnection=true',
    'mongodb://%2Ftmp%2Fmongodb-27017.sock',
    'mongodb+srv://bob:pw@cluster0.example.mongodb.net/?retryWrites=true',
    'MONGODB://127.0.0.1:65535',
  ]) {
    it(`accepts ${uri}`, () => {
      expect(() => checkMongoUri(uri)).not.to.throw();
    });
  }

  it('lists the hosts it found, for messages', () => {
    expect(checkMongoUri('mongodb://u:p@a:1,b:2/db').hosts).to.deep.equal(['a:1', 'b:2']);
  });

  for (const [uri, problem] of [
    ['mongodb://u:secretpw@127.0.0.1:43963,/', 'an empty entry as host 2 of 2'],
    ['mongodb://u:secretpw@,127.0.0.1/', 'an empty entry as host 1 of 2'],
    ['mongodb://u:secretpw@127.0.0.1:0/', 'a port outside 1-65535'],
    ['mongodb://u:secretpw@127.0.0.1:port/', 'not a host name'],
    ['mongodb://u:secret%zzpw@127.0.0.1/', 'does not start a percent-encoding'],
    ['mongodb://u:se/cretpw@127.0.0.1/', 'unescaped'],
    ['mongodb+srv://u:secretpw@cluster.example.net:27017/', 'exactly one host name and no port'],
    ['postgres://u:secretpw@127.0.0.1/', 'not a MongoDB connection string'],
  ] as const) {
    it(`refuses ${problem}, without quoting the URI`, () => {
      let message = '';
      try {
        checkMongoUri(uri);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.include(problem);
      expect(message).not.to.include('secret');
    });
  }
});

describe('--connect-timeout durations', () => {
  const parse = duration('--connect-timeout');
  it('reads milliseconds, seconds, minutes and hours; a bare number is seconds', () => {
    expect([parse('30s'), parse('500ms'), parse('2m'), parse('45'), parse('1.5s'), parse('2h')]).to.deep.equal([30_000, 500, 120_000, 45_000, 1500, 7_200_000]);
  });
  it('refuses what is not a positive duration', () => {
    for (const v of ['soon', '0', '-1s', '10d', '']) expect(() => parse(v), v).to.throw(/takes a duration such as 30s/);
  });
});
