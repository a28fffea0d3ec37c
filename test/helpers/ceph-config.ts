import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * ceph.conf of the one-node test cluster (shared TOOLCHAIN.md): loopback only, msgr2 on a private
 * port range, single-OSD pool settings, fast paxos (else radosgw's first start waits ~13 s),
 * memstore, tcp_nodelay on the gateway (else every answer with a body stalls ~44 ms) and a quick
 * garbage collection (memstore keeps deleted data in RAM until it runs).
 */
export async function writeConfig(
  dir: string,
  {
    fsid,
    monPort,
    rgwPort,
    bindMin,
    memstoreBytes,
  }: { fsid: string; monPort: number; rgwPort: number; bindMin: number; memstoreBytes: number },
): Promise<void> {
  for (const sub of ['run', 'log', 'mon', 'osd/0', 'rgw']) await fs.mkdir(path.join(dir, sub), { recursive: true });
  const conf = `[global]
fsid = ${fsid}
mon_host = v2:127.0.0.1:${monPort}
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr1 = false
ms_bind_port_min = ${bindMin}
ms_bind_port_max = ${bindMin + 19}
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = ${dir}/keyring
run_dir = ${dir}/run
admin_socket = ${dir}/run/$name.asok
log_file = ${dir}/log/$name.log
mon_data = ${dir}/mon/$id
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
mon_data_avail_crit = 0
paxos_propose_interval = 0.01
paxos_min_wait = 0.001
[osd]
osd_data = ${dir}/osd/$id
osd_objectstore = memstore
memstore_device_bytes = ${memstoreBytes}
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1
rgw_data = ${dir}/rgw
rgw_gc_obj_min_wait = 5
rgw_gc_processor_period = 5
`;
  await fs.writeFile(path.join(dir, 'ceph.conf'), conf);
}

/** One keyring for every daemon and the admin client, with the caps each needs. */
export async function createKeyring(dir: string): Promise<void> {
  const keyring = path.join(dir, 'keyring');
  const entities: Array<[string, string[]]> = [
    ['mon.', ['mon', 'allow *']],
    ['client.admin', ['mon', 'allow *', 'osd', 'allow *', 'mgr', 'allow *']],
    ['osd.0', ['mon', 'allow profile osd', 'osd', 'allow *']],
    ['client.rgw.a', ['mon', 'allow rw', 'osd', 'allow rwx']],
  ];
  for (const [index, [name, caps]] of entities.entries()) {
    const capArgs = [];
    for (let i = 0; i < caps.length; i += 2) capArgs.push('--cap', caps[i]!, caps[i + 1]!);
    await run('ceph-authtool', [...(index === 0 ? ['--create-keyring'] : []), keyring, '--gen-key', '-n', name, ...capArgs]);
  }
}
