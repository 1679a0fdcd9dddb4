#!/usr/bin/env bash
# Starts the three-province federation example on loopback (docs/federation.md): 浙江 (zhejiang.yaml),
# 江苏 (jiangsu.yaml) and 上海 (shanghai.yaml), which asks the other two. Each gets its store under
# var/federation/ the first time. Ctrl-C stops all three.
# usage: authd/examples/federation/run.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${1:-$root/build}
authd=$build/bin/authd
[ -x "$authd" ] || make -C "$root" build >&2
mkdir -p "$root/var/federation"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
for name in zhejiang jiangsu shanghai; do
    [ -e "$root/var/federation/$name/data.mdb" ] || "$authd" --config "$here/$name.yaml" init >&2
    "$authd" --config "$here/$name.yaml" 2>>"$root/var/federation/$name.log" &
    pids+=($!)
    echo "federation example: $name (stderr: var/federation/$name.log)" >&2
done
t="$here/keys"
cat >&2 <<MSG

浙江 issues a 居民户口簿 and 江苏 a 离婚证 for 11010519491231002X:
  curl -s -H "authorization: Bearer \$(cat keys-example/tokens/issuer-ga.token)" -H 'content-type: application/json' \\
    -d '{"type":"11100000000013338W004","holder":{"id":"11010519491231002X","name":"张三"},"elements":{"household_number":"330106001234","household_head":"张三","relationship":"户主","address":"杭州市西湖区文三路1号"}}' \\
    http://127.0.0.1:8281/v1/licences
  curl -s -H "authorization: Bearer \$(cat $t/jiangsu/tokens/issuer-js-mz.token)" -H 'content-type: application/json' \\
    -d '{"type":"11100000000013338W003","holder":{"id":"11010519491231002X","name":"张三"},"elements":{"former_spouse_name":"王二","registration_date":"2020-01-02","registration_authority":"南京市鼓楼区民政局"}}' \\
    http://127.0.0.1:8283/v1/licences
a 上海 counter looks both up (each verified against its province's signed trust list):
  curl -s -H "authorization: Bearer \$(cat $t/shanghai/tokens/counter-sh.token)" \\
    'http://127.0.0.1:8282/v1/holders/11010519491231002X/licences?matter=SH-HYDJ-001&use_cause=%E7%BB%93%E5%A9%9A%E7%99%BB%E8%AE%B0'
浙江's signed trust list, checked as a peer does:
  curl -s http://127.0.0.1:8281/v1/trust-list | build/bin/certctl trust-list check --pin $t/zhejiang/trust-list.crt -
MSG
wait -n "${pids[@]}"
