# The local control plane itself: the acceptance checks of hack/cluster-check.sh (server
# version, a StatefulSet with a claim reaching Ready, garbage collection, volume recycling).
. "$ROOT/test/integration/lib.sh"
bash "$ROOT/hack/cluster-check.sh"
