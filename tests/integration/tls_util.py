"""TLS test helpers: throw-away certificates made with the openssl CLI, an etcd member that
serves clients over TLS with client-certificate and user/password auth, and the petacore-server
flags that connect to it. Built on harness.py (its Etcd and Node keep working unchanged).
"""
import os
import shutil
import subprocess
import tempfile

import redis

import harness

# The etcd user PetaCore logs in as, and etcd's mandatory root user (needed to enable auth).
ETCD_USER = "petacore"
ETCD_PASSWORD = "pc-secret"
ETCD_ROOT_PASSWORD = "root-secret"


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _key(name, cwd):
    # EC P-256: fast to generate, accepted by OpenSSL, Go (etcd) and gRPC alike.
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", f"{name}-key.pem", cwd=cwd)


def _ca(name, cwd):
    _key(name, cwd)
    _openssl("req", "-x509", "-new", "-key", f"{name}-key.pem", "-out", f"{name}.pem",
             "-days", "2", "-subj", f"/CN=petacore test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=cwd)


def _leaf(name, ca, cn, ext, cwd):
    _key(name, cwd)
    _openssl("req", "-new", "-key", f"{name}-key.pem", "-out", f"{name}.csr", "-subj",
             f"/CN={cn}", cwd=cwd)
    with open(os.path.join(cwd, f"{name}.ext"), "w") as f:
        f.write(ext)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}-key.pem",
             "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
             cwd=cwd)


class Certs:
    """A CA; a server certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1); a client
    certificate (CN petacore-client, not an etcd user, so etcd cannot take it for one); and a
    client certificate from a second, untrusted CA. Files are <name>.pem / <name>-key.pem in
    `dir`: ca, server, client, rogue-client (signed by rogue-ca)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="petacore-certs-")
        _ca("ca", self.dir)
        _leaf("server", "ca", "127.0.0.1",
              "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n", self.dir)
        _leaf("client", "ca", "petacore-client", "extendedKeyUsage=clientAuth\n", self.dir)
        _ca("rogue-ca", self.dir)
        _leaf("rogue-client", "rogue-ca", "rogue-client", "extendedKeyUsage=clientAuth\n",
              self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class TlsEtcd(harness.Etcd):
    """An etcd member (scripts/start-etcd.sh with PETACORE_ETCD_TLS_DIR) that serves clients
    over TLS only and requires a client certificate signed by `certs`' CA. enable_auth() turns
    on etcd's user/password auth with ETCD_USER allowed to read and write everything under "/".
    `extra_args` go to etcd (e.g. ["--auth-token-ttl", "2"])."""

    def __init__(self, certs, extra_args=()):
        self.certs = certs
        self.extra_args = list(extra_args)
        self.auth = False
        super().__init__()

    def start(self):
        env = dict(os.environ, PETACORE_ETCD_TLS_DIR=self.certs.dir,
                   ETCD_EXTRA_ARGS=" ".join(self.extra_args))
        out = subprocess.run(["bash", harness.START_ETCD, self.dir, str(self.port),
                              str(self.peer_port)],
                             check=True, capture_output=True, text=True, timeout=60, env=env)
        self.pid = int(out.stdout.strip())

    def ctl(self, *args, user=True):
        env = dict(os.environ, ETCDCTL_API="3")
        cmd = ["etcdctl", "--endpoints", self.endpoint, "--cacert", self.certs.path("ca.pem"),
               "--cert", self.certs.path("client.pem"), "--key", self.certs.path("client-key.pem")]
        if self.auth and user:
            cmd += ["--user", f"root:{ETCD_ROOT_PASSWORD}"]
        return subprocess.run([*cmd, *args], env=env, check=True, capture_output=True,
                              timeout=30).stdout

    def enable_auth(self):
        self.ctl("user", "add", f"root:{ETCD_ROOT_PASSWORD}")
        self.ctl("user", "add", f"{ETCD_USER}:{ETCD_PASSWORD}")
        self.ctl("role", "add", "petacore-rw")
        self.ctl("role", "grant-permission", "petacore-rw", "readwrite", "--prefix=true", "/")
        self.ctl("user", "grant-role", ETCD_USER, "petacore-rw")
        self.ctl("auth", "enable")
        self.auth = True


def etcd_link_args(certs, user=ETCD_USER, password=ETCD_PASSWORD):
    """petacore-server flags for a TlsEtcd: CA, client certificate, user and password."""
    args = ["--etcd-cacert", certs.path("ca.pem"), "--etcd-cert", certs.path("client.pem"),
            "--etcd-key", certs.path("client-key.pem")]
    if user:
        args += ["--etcd-user", user, "--etcd-password", password]
    return args


def info_field(client, name):
    """One field of INFO petacore, or None."""
    return client.info("petacore").get(name)


def tls_server_args(certs, tls_port, auth_clients="yes"):
    """petacore-server flags for a TLS port with `certs`' server certificate and CA."""
    return ["--tls-port", str(tls_port), "--tls-cert-file", certs.path("server.pem"),
            "--tls-key-file", certs.path("server-key.pem"), "--tls-ca-cert-file",
            certs.path("ca.pem"), "--tls-auth-clients", auth_clients]


def tls_client(certs, port, client="client", **kw):
    """redis-py over TLS, verifying the server against `certs`' CA; `client` names the client
    certificate to present ("client", "rogue-client") or None for none."""
    kw.setdefault("socket_timeout", 30)
    if client:
        kw.update(ssl_certfile=certs.path(f"{client}.pem"),
                  ssl_keyfile=certs.path(f"{client}-key.pem"))
    return redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=certs.path("ca.pem"),
                       ssl_cert_reqs="required", **kw)


def tls_cli(certs, port, *args, client="client"):
    """redis-cli --tls against `port`; returns the CompletedProcess (text)."""
    cmd = ["redis-cli", "--tls", "--cacert", certs.path("ca.pem"), "-h", "127.0.0.1",
           "-p", str(port)]
    if client:
        cmd += ["--cert", certs.path(f"{client}.pem"), "--key", certs.path(f"{client}-key.pem")]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)
