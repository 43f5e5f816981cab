#!/bin/sh
# Install or upgrade qrgate on Raspberry Pi OS Bookworm 64-bit (or any Debian bookworm arm64/amd64).
#
#   sudo deploy/install.sh [--kiosk]
#
# Run from a checkout of the repository. Running it again upgrades the code and the units and
# keeps /etc/qrgate/gate.toml, the ledger and the secrets in /var/lib/qrgate. No compiler needed:
# picamera2 comes from the OS (python3-picamera2) and the venv sees it (--system-site-packages).
#
# Environment: QRGATE_EXTRAS (default "pi"), QRGATE_PREFIX (default /opt/qrgate),
# QRGATE_NO_APT=1 to skip apt-get (the packages are already there).
set -eu

PREFIX="${QRGATE_PREFIX:-/opt/qrgate}"
EXTRAS="${QRGATE_EXTRAS:-pi}"
CONF_DIR=/etc/qrgate
STATE_DIR=/var/lib/qrgate
UNIT_DIR=/etc/systemd/system
USER_NAME=qrgate
KIOSK=0
SRC="$(cd "$(dirname "$0")/.." && pwd)"

say() { echo "qrgate-install: $*"; }
die() { echo "qrgate-install: $*" >&2; exit 1; }

for arg in "$@"; do
    case "$arg" in
        --kiosk) KIOSK=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) die "unknown option $arg (usage: install.sh [--kiosk])" ;;
    esac
done
[ "$(id -u)" = 0 ] || die "run as root: sudo $0"
[ -f "$SRC/pyproject.toml" ] && [ -f "$SRC/deploy/gate.toml" ] || die "run from a qrgate checkout ($SRC has no pyproject.toml)"

# -- OS packages ---------------------------------------------------------------------------
if [ "${QRGATE_NO_APT:-0}" != 1 ]; then
    # python3-evdev: USB keyboard-wedge scanners ([[readers]] kind = "hid"); from PyPI it needs a compiler
    packages="python3 python3-venv python3-pip ca-certificates sqlite3 python3-evdev"
    # the Pi camera stack comes from Raspberry Pi OS's own archive; plain Debian has no such package
    if apt-cache show python3-picamera2 >/dev/null 2>&1; then
        packages="$packages python3-picamera2"
    else
        say "python3-picamera2 is not in this system's apt sources: the Pi camera (source = \"picamera2\") will not work here"
    fi
    if [ "$KIOSK" = 1 ]; then
        if apt-cache show chromium-browser >/dev/null 2>&1; then packages="$packages cage chromium-browser"
        else packages="$packages cage chromium"; fi
    fi
    say "installing OS packages: $packages"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages >/dev/null || die "apt-get install failed (run 'apt-get update' first?)"
fi

# -- user and groups: camera (video), GPIO (gpio), serial (dialout), HID readers (input) ---------
for group in video gpio dialout input; do
    getent group "$group" >/dev/null || { groupadd --system "$group"; say "created group $group"; }
done
if ! getent passwd "$USER_NAME" >/dev/null; then
    useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
    say "created system user $USER_NAME"
fi
usermod -a -G video,gpio,dialout,input "$USER_NAME"

# -- state: the ledger and the secrets, readable by the gate only ---------------------------------
install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "$STATE_DIR"
chmod 0700 "$STATE_DIR"
chown "$USER_NAME:$USER_NAME" "$STATE_DIR"

# -- config: written once; an upgrade leaves it alone and puts the new template beside it ----------
install -d -m 0750 -o root -g "$USER_NAME" "$CONF_DIR"
install -m 0640 -o root -g "$USER_NAME" "$SRC/deploy/gate.toml" "$CONF_DIR/gate.toml.example"
if [ -e "$CONF_DIR/gate.toml" ]; then
    say "kept $CONF_DIR/gate.toml (the current template is $CONF_DIR/gate.toml.example)"
else
    install -m 0640 -o root -g "$USER_NAME" "$SRC/deploy/gate.toml" "$CONF_DIR/gate.toml"
    say "wrote $CONF_DIR/gate.toml from the template: edit it, then 'sudo systemctl restart qrgate'"
fi

# -- the code: a venv that also sees the OS's picamera2 -----------------------------------------
install -d -m 0755 "$PREFIX" "$PREFIX/bin" "$PREFIX/docs"
if ! "$PREFIX/venv/bin/python" -c "import sys" >/dev/null 2>&1; then
    say "creating the venv $PREFIX/venv"
    rm -rf "$PREFIX/venv"
    python3 -m venv --system-site-packages "$PREFIX/venv"
fi
say "installing qrgate[$EXTRAS] into $PREFIX/venv (wheels only for dependencies, no compiler)"
# build from a copy: the checkout may belong to another user and stay read-only
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
tar -C "$SRC" --exclude=.git --exclude=.venv --exclude=.cache --exclude='*.egg-info' -cf - . | tar -C "$BUILD" -xf -
"$PREFIX/venv/bin/pip" install --quiet --disable-pip-version-check --upgrade --prefer-binary \
    --only-binary=lgpio,zxing-cpp,numpy,cryptography,pillow,opencv-python-headless,pydantic-core,argon2-cffi-bindings,cffi "$BUILD[$EXTRAS]" \
    || die "pip install failed; see the lines above"
# the same version number again (an upgrade from a newer checkout) must still replace the code
"$PREFIX/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$BUILD" \
    || die "pip install of qrgate itself failed; see the lines above"
install -m 0755 "$SRC/deploy/qrgate-kiosk" "$PREFIX/bin/qrgate-kiosk"
install -m 0644 "$SRC/docs/deploy-pi.md" "$PREFIX/docs/deploy-pi.md"
ln -sf "$PREFIX/venv/bin/qrgate" /usr/local/bin/qrgate
say "installed qrgate $("$PREFIX/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("qrgate"))') at $PREFIX; 'qrgate' is on the PATH"

# -- systemd units -------------------------------------------------------------------------------
install -d -m 0755 "$UNIT_DIR"
for unit in qrgate.service qrgate-kiosk.service; do
    sed "s#/opt/qrgate#$PREFIX#g" "$SRC/deploy/systemd/$unit" > "$UNIT_DIR/$unit.tmp"
    chmod 0644 "$UNIT_DIR/$unit.tmp"
    mv "$UNIT_DIR/$unit.tmp" "$UNIT_DIR/$unit"
done
if [ "$KIOSK" = 1 ] && ! getent passwd qrgate-kiosk >/dev/null; then
    useradd --system --user-group --create-home --home-dir /var/lib/qrgate-kiosk --shell /usr/sbin/nologin qrgate-kiosk
    usermod -a -G video,render,input qrgate-kiosk 2>/dev/null || usermod -a -G video,input qrgate-kiosk
    say "created system user qrgate-kiosk for the screen"
fi
say "installed units qrgate.service and qrgate-kiosk.service in $UNIT_DIR"

# systemd is PID 1 exactly when /run/systemd/system exists (sd_booted(3))
if [ ! -d /run/systemd/system ]; then
    say "systemd is not running here (a chroot or container): units installed but not enabled or started"
    exit 0
fi
systemctl daemon-reload
systemctl enable qrgate.service >/dev/null 2>&1
systemctl restart qrgate.service
say "qrgate.service enabled and (re)started: 'systemctl status qrgate', 'journalctl -u qrgate -f'"
if [ "$KIOSK" = 1 ] || systemctl is-enabled --quiet qrgate-kiosk.service 2>/dev/null; then
    systemctl set-default graphical.target >/dev/null
    systemctl enable qrgate-kiosk.service >/dev/null 2>&1
    systemctl restart qrgate-kiosk.service
    say "qrgate-kiosk.service enabled and (re)started (skipped while no display is connected)"
fi
say "check the gate: sudo -u $USER_NAME qrgate doctor --config $CONF_DIR/gate.toml"
