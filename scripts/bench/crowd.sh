# shellcheck shell=bash
# spawn_crowd N: N sleeping processes for the benches, 1% with pytest in argv (the rest
# worker-N), each a symlink to sleep in a fresh $crowd_dir, their pids appended to
# $crowd_pids so the caller kills exactly those; settle_crowd waits until they all run
# sleep. Sourced by scripts/bench.sh and scripts/bench-floor.sh.
spawn_crowd() {
  crowd_dir=$(mktemp -d)
  for i in $(seq 0 $(($1 - 1))); do
    if [ $((i % 100)) -eq 0 ]; then name="pytest-bench-$i"; else name="worker-$i"; fi
    ln -s /bin/sleep "$crowd_dir/$name"
    "$crowd_dir/$name" 100000 </dev/null >/dev/null 2>&1 &
    crowd_pids+=($!)
  done
}

# settle_crowd: returns once every process in $crowd_pids runs sleep (bash forks them
# faster than they exec, and a child that has not exec'd yet shows bash's command line),
# or after 60 s with a line saying how many did not.
settle_crowd() {
  python3 - "${crowd_pids[@]}" <<'PY'
import os, sys, time
want = os.path.realpath("/bin/sleep")
deadline = time.monotonic() + 60
left = 0
for pid in sys.argv[1:]:
    while True:
        try:
            if os.readlink(f"/proc/{pid}/exe") == want:
                break
        except OSError:
            break
        if time.monotonic() > deadline:
            left += 1
            break
        time.sleep(0.01)
if left:
    print(f"settle_crowd: {left} processes of the crowd do not run {want} after 60 s")
PY
}
