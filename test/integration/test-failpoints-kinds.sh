# Crash at every write for DBSnapshot (with a restore from it) and HACluster: the scenarios
# snapshot and hacluster of test-failpoints.sh, in a test of their own so that each stays
# within make test's time limit per test. FAILPOINTS=all (make failpoints) walks every write.
# tools: csi zalando
FAILPOINT_SCENARIOS=${FAILPOINT_KIND_SCENARIOS:-snapshot hacluster}
. "$ROOT/test/integration/test-failpoints.sh"
