# SPDX-License-Identifier: BSD-2-Clause
# A C++ program with iostream, std::string, exceptions and STL containers.
. "$(dirname "$0")/../lib/common.sh"

build_guest cxx cxx.cc g++ -static
run_guest "$WORK/cxx"
expect_rc 0
expect_out "cache=5 kvm=3 sandbox=7 varnish=7 
caught empty
sum=42"
echo ok
