import { redactUri } from '../../core/secrets.js';
import { UsageError } from '../../core/errors.js';

// Apart from the driver: the CLI and the tasks check a URI before anything is created, without loading it.

export interface MongoUriParts {
  srv: boolean;
  /** `host[:port]` entries as written; host names are not secrets. */
  hosts: string[];
}

const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._%-]+)(?::(\d{1,5}))?$/i;

/**
 * The problems the driver finds late or not at all (an empty host in the list crashes its
 * monitor with an uncaught exception), as usage errors. The messages never quote the URI: with
 * a malformed one, no one can be sure where the password ends.
 */
export function checkMongoUri(uri: string, label = 'The MongoDB URI'): MongoUriParts {
  // Which URI, with its whole userinfo redacted: the host is what a user needs to find it.
  const name = `${label} ${redactUri(uri)}`;
  const m = /^mongodb(\+srv)?:\/\/(.*)$/is.exec(uri);
  if (!m) throw new UsageError(`${name} is not a MongoDB connection string: expected mongodb://host:27017/ or mongodb+srv://cluster.example.net/.`);
  const srv = m[1] !== undefined;
  const rest = m[2]!;
  const at = rest.lastIndexOf('@');
  const userInfo = at >= 0 ? rest.slice(0, at) : undefined;
  const hostList = rest.slice(at + 1).split(/[/?]/, 1)[0]!;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const user = colon >= 0 ? userInfo.slice(0, colon) : userInfo;
    const password = colon >= 0 ? userInfo.slice(colon + 1) : '';
    if (/[:/?#[\]@]/.test(user) || /[:/?#[\]@]/.test(password)) {
      throw new UsageError(`${name} has a user name or password with an unescaped @ : / ? # [ or ]: percent-encode them (@ is %40, : is %3A, / is %2F, ? is %3F, # is %23).`);
    }
    if (/%(?![0-9a-f]{2})/i.test(userInfo)) throw new UsageError(`${name} has a user name or password with a % that does not start a percent-encoding: write % as %25.`);
  }
  if (hostList === '') throw new UsageError(`${name} names no host: expected mongodb://host:27017/ or mongodb+srv://cluster.example.net/.`);
  const hosts = hostList.split(',');
  hosts.forEach((host, i) => {
    const which = hosts.length > 1 ? `host ${i + 1} of ${hosts.length} in its list` : 'its host';
    if (host === '') throw new UsageError(`${name} has an empty entry as ${which} (a comma with no host after or before it): list hosts as host1:27017,host2:27017.`);
    const h = HOST.exec(host);
    if (!h) throw new UsageError(`${name} has ${which} that is not a host name, IPv4 address or [IPv6] address with an optional :port.`);
    if (h[1] !== undefined && (Number(h[1]) < 1 || Number(h[1]) > 65535)) throw new UsageError(`${name} has ${which} with a port outside 1-65535.`);
  });
  if (srv && (hosts.length !== 1 || /:\d+$/.test(hosts[0]!))) {
    throw new UsageError(`${name} is a mongodb+srv:// URI, which takes exactly one host name and no port (the DNS SRV record lists the servers).`);
  }
  return { srv, hosts };
}
