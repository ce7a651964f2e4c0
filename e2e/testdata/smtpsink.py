"""A real SMTP server for the e2e tests: aiosmtpd, writing each message it
accepts to DIR/<id>.json as {"mail_from", "rcpt_tos", "data", "tls", "auth"}.

  python3 smtpsink.py --listen 127.0.0.1:0 --dir DIR
      [--starttls-cert C --starttls-key K]   STARTTLS offered and required
      [--smtps-cert C --smtps-key K]         TLS from the first byte
      [--auth USER:PASSWORD]                 AUTH PLAIN/LOGIN required (over TLS)

Prints "listening PORT" once it accepts connections.
"""
import argparse
import asyncio
import json
import os
import ssl
import uuid

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = uuid.uuid4().hex
        tmp = os.path.join(self.directory, name + ".tmp")
        with open(tmp, "w") as f:
            json.dump({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
                "tls": session.ssl is not None,
                "auth": bool(session.authenticated),
            }, f)
        os.rename(tmp, os.path.join(self.directory, name + ".json"))
        return "250 OK"


def context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", default="127.0.0.1:0")
    p.add_argument("--dir", required=True)
    p.add_argument("--starttls-cert")
    p.add_argument("--starttls-key")
    p.add_argument("--smtps-cert")
    p.add_argument("--smtps-key")
    p.add_argument("--auth")
    a = p.parse_args()
    host, port = a.listen.rsplit(":", 1)
    kw = {"hostname": "smtpsink.test"}  # no getfqdn() lookup
    if a.starttls_cert:
        kw.update(tls_context=context(a.starttls_cert, a.starttls_key), require_starttls=True)
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
            return AuthResult(success=ok)

        kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=True)
    smtps = context(a.smtps_cert, a.smtps_key) if a.smtps_cert else None
    handler = Sink(a.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **kw), host, int(port), ssl=smtps)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
