#!/bin/sh
# Test image only: the checks inside the booted image, run by the kernel command line
# (systemd.run=, as root) from the boot partition. Each result is one "CI-REPORT key=value"
# line on the virtio-serial port "ci" (the serial console when there is none); the host
# test (tests/image/test_image_boot.py) asserts on them. It never stops early: it reports.
CI=/boot/firmware/ci
PY=/opt/kiosk/venv/bin/python
KIOSK=/opt/kiosk/venv/bin/kiosk
OUT=/dev/virtio-ports/ci
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "$OUT" ] && break; sleep 0.5; done
[ -e "$OUT" ] || OUT=/dev/console
report() { echo "CI-REPORT $*" >> "$OUT"; echo "CI-REPORT $*"; }
state() { cat /run/kiosk-ci/state.json 2>/dev/null; }
wait_for() {  # seconds, shell condition
  n=$(( $1 * 4 )); shift
  while [ "$n" -gt 0 ]; do eval "$@" && return 0; sleep 0.25; n=$((n - 1)); done
  return 1
}

report "started uptime=$(cut -d' ' -f1 /proc/uptime)"
if ! wait_for 60 '[ "$(systemctl show -P ActiveState kiosk.service)" = active ]'; then
  systemctl list-jobs --no-pager | sed 's/^/CI-LOG jobs: /' >> "$OUT"
  systemctl status --no-pager kiosk.service 2>&1 | sed 's/^/CI-LOG /' >> "$OUT"
  wait_for 180 '[ "$(systemctl show -P ActiveState kiosk.service)" = active ]'
fi
report "kiosk_state=$(systemctl show -P ActiveState kiosk.service)"
report "kiosk_ready_s=$(systemctl show -P ActiveEnterTimestampMonotonic kiosk.service | awk '{printf "%.1f", $1 / 1e6}')"
report "kiosk_type=$(systemctl show -P Type kiosk.service) user=$(systemctl show -P User kiosk.service)"
report "kiosk_status=$(systemctl show -P StatusText kiosk.service | tr ' ' '_')"
report "root_options=$(findmnt -no OPTIONS /)"
if touch /ci-probe 2>/dev/null; then report "root_writable=yes"; else report "root_writable=no"; fi
report "data_options=$(findmnt -no OPTIONS /var/lib/kiosk)"
report "data_source=$(findmnt -no SOURCE /var/lib/kiosk)"
report "data_size_mib=$(df -m --output=size /var/lib/kiosk | tail -1 | tr -d ' ')"
report "data_grown=$(cat /var/lib/kiosk/.system/data-grown 2>/dev/null | tr ' ' ,)"
if runuser -u kiosk -- touch /var/lib/kiosk/ci-probe; then report "data_writable=yes"; else report "data_writable=no"; fi
rm -f /var/lib/kiosk/ci-probe
report "store_exists=$([ -f /var/lib/kiosk/kiosk.sqlite3 ] && echo yes || echo no)"
report "boot_options=$(findmnt -no OPTIONS /boot/firmware)"
report "root_password=$(getent shadow root | cut -d: -f2 | cut -c1)"
report "kiosk_groups=$(id -nG kiosk | tr ' ' ,)"
report "ssh=$(systemctl is-active ssh.service)"
report "provision=$(systemctl show -P Result kiosk-provision.service)"
report "timesync_dir=$(findmnt -no SOURCE /var/lib/systemd/timesync | tr -d ' ')"
report "hostname=$(hostname)"
report "kiosk_env=$(systemctl show -P Environment kiosk.service | tr ' ' ,)"
report "kiosk_exec_start_s=$(systemctl show -P ExecMainStartTimestampMonotonic kiosk.service | awk '{printf "%.1f", $1 / 1e6}')"
report "provisioned_s=$(systemctl show -P ActiveEnterTimestampMonotonic kiosk-provision.service | awk '{printf "%.1f", $1 / 1e6}')"
# as kiosk.service and a technician's shell see it: cwd / (read-only), LG_WD=/tmp
if (cd / && env LG_WD=/tmp $PY -c "from gpiozero.pins.lgpio import LGPIOFactory") 2>/tmp/ci-lgpio; then
  report "lgpio_import=ok"
else
  report "lgpio_import=$(tail -1 /tmp/ci-lgpio | tr ' ' _)"
fi

# a sale through kiosk.service: catalog, scan typed on a uinput scanner, Pay, card
demo=$($PY -c "import appliance, pathlib; print(pathlib.Path(appliance.__file__).parent / 'demo' / 'catalog.json')")
runuser -u kiosk -- $KIOSK catalog import "$demo" > /tmp/ci-import 2>&1
report "catalog_import_rc=$?"
wait_for 30 'state | grep -q "\"catalog_version\": [1-9]"'
report "catalog_state=$(state | tr -d ' ')"
modprobe uinput
$PY $CI/scanner.py 5900012345074 > /tmp/ci-scanner 2>&1 &
scanner=$!
wait_for 90 'grep -q "typed all\|never grabbed" /tmp/ci-scanner || ! kill -0 $scanner 2>/dev/null'
report "scanner=$(grep -c "typed all" /tmp/ci-scanner) $(tail -1 /tmp/ci-scanner | tr ' ' _)"
wait_for 20 'state | grep -q "\"items\": 1"'
report "after_scan=$(state | tr -d ' ')"
echo pay > /run/kiosk-ci/touch
wait_for 60 '[ "$($PY -c "import sqlite3; print(sqlite3.connect(\"file:/var/lib/kiosk/kiosk.sqlite3?mode=ro\", uri=True).execute(\"select count(*) from sales\").fetchone()[0])" 2>/dev/null)" = 1 ]'
report "sales=$($PY -c "import sqlite3; print(sqlite3.connect('file:/var/lib/kiosk/kiosk.sqlite3?mode=ro', uri=True).execute('select count(*) from sales').fetchone()[0])" 2>&1 | tail -1 | tr ' ' _)"
report "after_pay=$(state | tr -d ' ')"
runuser -u kiosk -- $KIOSK doctor --json > /tmp/ci-doctor 2>/tmp/ci-doctor.err
report "doctor_rc=$?"
report "doctor=$($PY -c "import json; d = json.load(open('/tmp/ci-doctor')); print('ok=%s;' % d['ok'] + ';'.join('%s:%s' % (c.get('name', c.get('check')), c.get('status', c.get('level'))) for c in d['checks']))" 2>&1 | tail -1 | tr ' ' _)"
kill $scanner
report "failed_units=$(systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ,)"
report "kiosk_restarts=$(systemctl show -P NRestarts kiosk.service)"
journalctl -b -u kiosk.service -u kiosk-provision.service --no-pager -o cat | tail -40 | sed 's/^/CI-LOG /' >> "$OUT"
report "done uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
