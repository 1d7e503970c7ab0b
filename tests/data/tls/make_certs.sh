#!/usr/bin/env bash
# Re-creates the TLS test fixtures of tests/server/security_test.cc with the
# openssl CLI (the files are checked in; run this only to replace them):
#   ca.pem / ca.key            test CA
#   server.pem / server.key    server certificate for 127.0.0.1, ::1 and localhost, signed by ca
#   client.pem / client.key    client certificate (CN tinyserve-test-client), signed by ca
#   other_ca.pem / other_ca.key  an unrelated CA that signed nothing here
#   other_client.pem / .key    a client certificate signed by other_ca
# Validity: 100 years, so the tests do not expire. Test material only: never
# deploy these keys.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
DAYS=36500
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

ca() {  # name, subject
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$DAYS" \
    -keyout "$1.key" -out "$1.pem" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

leaf() {  # name, subject, issuer, extensions
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$tmp/$1.csr" -subj "$2"
  printf '%s\n' "$4" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days "$DAYS" -sha256 -extfile "$tmp/$1.ext" -out "$1.pem"
}

ca ca "/CN=tinyserve test CA"
ca other_ca "/CN=unrelated test CA"
leaf server "/CN=localhost" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
leaf client "/CN=tinyserve-test-client" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
leaf other_client "/CN=unrelated-client" other_ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
chmod 644 ./*.key ./*.pem
