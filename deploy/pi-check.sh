#!/bin/sh
# make pi-check: the Pi's platform, here. A Debian bookworm arm64 root (the base of Raspberry Pi
# OS 64-bit) built with debootstrap and run under qemu-user emulation; the project is installed
# there with deploy/install.sh (as far as a root without systemd allows), then
# `qrgate doctor --json` (no camera, no pins: it must say so) and the demo must end RESULT: ok.
#
# The root is cached in .cache/pi-root between runs; `rm -rf .cache/pi-root` builds it afresh.
set -eu

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="$REPO/.cache"
ROOT="$CACHE/pi-root"
SUITE=bookworm

say() { echo "pi-check: $*"; }
die() { echo "pi-check: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, binfmt): sudo make pi-check"

# -- tools ---------------------------------------------------------------------------------
missing=""
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
[ -x /usr/bin/qemu-aarch64-static ] || missing="$missing qemu-user-static"
command -v update-binfmts >/dev/null 2>&1 || missing="$missing binfmt-support"
if [ -n "$missing" ]; then
    say "installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null || die "apt-get install$missing failed"
fi

# -- the aarch64 binfmt handler --------------------------------------------------------------
BINFMT=/proc/sys/fs/binfmt_misc
[ -e "$BINFMT/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT" || die "cannot mount $BINFMT"
if [ ! -e "$BINFMT/qemu-aarch64" ]; then
    say "registering the qemu-aarch64 binfmt handler"
    update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi
if [ ! -e "$BINFMT/qemu-aarch64" ]; then
    # the register line Debian's qemu-user-static ships; F: the kernel opens the interpreter now,
    # so it works inside the chroot without a copy there
    printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' \
        > "$BINFMT/register" || die "cannot register the qemu-aarch64 binfmt handler"
fi
grep -q enabled "$BINFMT/qemu-aarch64" || die "the qemu-aarch64 binfmt handler is registered but disabled"
say "binfmt: $(head -2 "$BINFMT/qemu-aarch64" | tr '\n' ' ')"

# -- the root, cached ------------------------------------------------------------------------
mirror() {
    # the mirror this machine's apt uses (deb822 URIs: or a one-line deb entry), else Debian's
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        url=$(sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*debian\/*\)$/\1/p' \
                     -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*debian\/*\)[[:space:]].*/\2/p' "$f" | head -1)
        [ -n "$url" ] && { echo "$url"; return; }
    done
    echo http://deb.debian.org/debian
}
MIRROR="$(mirror)"
if [ ! -e "$ROOT/.qrgate-base-ok" ]; then
    say "building a Debian $SUITE arm64 root in $ROOT from $MIRROR (several minutes under emulation)"
    rm -rf "$ROOT.partial"
    mkdir -p "$CACHE"
    debootstrap --arch=arm64 --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates,sqlite3 \
        "$SUITE" "$ROOT.partial" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 \
        || die "debootstrap failed; the end of $CACHE/debootstrap.log: $(tail -5 "$CACHE/debootstrap.log")"
    rm -rf "$ROOT"
    mv "$ROOT.partial" "$ROOT"
    touch "$ROOT/.qrgate-base-ok"
else
    say "using the cached root $ROOT"
fi
[ "$(chroot "$ROOT" uname -m)" = aarch64 ] || die "the root does not run as aarch64"

# -- mounts, always undone -----------------------------------------------------------------
MOUNTS=""
cleanup() {
    for m in $MOUNTS; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
for m in proc dev dev/pts; do
    mountpoint -q "$ROOT/$m" && continue
    case "$m" in
        proc) mount -t proc proc "$ROOT/proc" ;;
        dev) mount --bind /dev "$ROOT/dev" ;;
        dev/pts) mount -t devpts devpts "$ROOT/dev/pts" ;;
    esac
    MOUNTS="$ROOT/$m $MOUNTS"
done
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 "$@"; }

say "in the root: $(in_root sh -c '. /etc/os-release; echo "$PRETTY_NAME, $(uname -m), python $(python3 -V | cut -d" " -f2), glibc $(ldd --version | head -1 | sed "s/.* //")"')"
if in_root sh -c 'command -v gcc cc' >/dev/null 2>&1; then die "the root has a compiler: it would not prove the install needs none"; fi
say "no compiler in the root (gcc/cc absent)"

# -- the documented install path ---------------------------------------------------------------
# the cache keeps the base system only: each run installs afresh, as on a new card
rm -rf "$ROOT/etc/qrgate" "$ROOT/opt/qrgate" "$ROOT/var/lib/qrgate" "$ROOT/usr/local/bin/qrgate"
say "copying the project to /root/qrgate"
rm -rf "$ROOT/root/qrgate"
mkdir -p "$ROOT/root/qrgate"
tar -C "$REPO" --exclude=.git --exclude=.venv --exclude=.cache --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude=demo-out -cf - . | tar -C "$ROOT/root/qrgate" -xf -
in_root apt-get update -q >/dev/null || die "apt-get update failed in the root"
# a machine behind a TLS-inspecting proxy trusts local CAs; the root must trust them too to reach PyPI
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    in_root update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in the root"
    say "the root trusts this machine's local CA certificates too"
fi
say "running: sudo deploy/install.sh (QRGATE_EXTRAS=pi,sim: the demo's embedded broker too)"
in_root env QRGATE_EXTRAS=pi,sim /root/qrgate/deploy/install.sh || die "deploy/install.sh failed"
say "running it again, as an upgrade"
# the technician's edit: no broker on this machine is the site's (the upgrade must keep the edit)
sed -i 's/^enabled = true$/enabled = false  # edited by the technician/' "$ROOT/etc/qrgate/gate.toml"
grep -q "edited by the technician" "$ROOT/etc/qrgate/gate.toml" || die "could not edit /etc/qrgate/gate.toml"
in_root sqlite3 /var/lib/qrgate/upgrade-check.sqlite3 "CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1);"
in_root env QRGATE_EXTRAS=pi,sim QRGATE_NO_APT=1 /root/qrgate/deploy/install.sh >/dev/null || die "the upgrade run failed"
grep -q "edited by the technician" "$ROOT/etc/qrgate/gate.toml" || die "the upgrade overwrote /etc/qrgate/gate.toml"
[ "$(in_root sqlite3 /var/lib/qrgate/upgrade-check.sqlite3 'SELECT count(*) FROM t')" = 1 ] || die "the upgrade touched /var/lib/qrgate"
rm -f "$ROOT/var/lib/qrgate/upgrade-check.sqlite3"
say "upgrade kept the config and /var/lib/qrgate; mode $(stat -c %a "$ROOT/var/lib/qrgate") owner $(in_root stat -c %U /var/lib/qrgate)"
in_root /opt/qrgate/venv/bin/python -c "import lgpio" || die "lgpio from the [pi] extra does not import"
say "lgpio (the [pi] extra, an aarch64 wheel) imports in the venv"
in_root /opt/qrgate/venv/bin/python -c "import evdev" || die "the OS's python3-evdev does not import in the venv"
say "evdev (hid readers, from the OS's python3-evdev) imports in the venv"

# -- doctor: no camera, no pins here; it must say so, not crash --------------------------------
say "running: qrgate doctor --json --config /etc/qrgate/gate.toml"
set +e
in_root /usr/local/bin/qrgate doctor --json --config /etc/qrgate/gate.toml > "$CACHE/doctor.json"
rc=$?
set -e
cat "$CACHE/doctor.json"
[ "$rc" = 0 ] || [ "$rc" = 1 ] || die "qrgate doctor exited $rc (0 or 1 expected)"
python3 - "$CACHE/doctor.json" <<'PY' || die "qrgate doctor's JSON is not what it should be"
import json, sys
report = json.load(open(sys.argv[1]))
checks = {c["check"]: c for c in report["checks"]}
for name in ("camera 0", "pin map", "gpio", "broker", "clock", "disk", "ledger", "site secret", "secret peers"):
    assert name in checks, f"no {name} check"
assert checks["camera 0"]["status"] == "fail" and checks["camera 0"]["fix"], checks["camera 0"]
assert checks["gpio"]["status"] == "fail" and checks["gpio"]["fix"], checks["gpio"]
print("pi-check: doctor said:", "; ".join(f"{c['check']} {c['status']}" for c in report["checks"]))
PY

# -- the demo --------------------------------------------------------------------------------------
# The demo runs in real time, and qemu decodes many times slower than a Pi: on a busy machine a
# visitor can walk on before the emulated decoder has read the code. So it gets a second try; both
# results are shown.
for attempt in 1 2; do
    say "running: qrgate sim (the demo), under emulation, try $attempt"
    in_root sh -c 'cd /root && /usr/local/bin/qrgate sim --broker amqtt' > "$CACHE/demo.log" 2>&1 || true
    tail -15 "$CACHE/demo.log"
    grep -q "RESULT: ok" "$CACHE/demo.log" && break
    [ "$attempt" = 2 ] && die "the demo did not end RESULT: ok ($CACHE/demo.log)"
done
say "PASSED"
