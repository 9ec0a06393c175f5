// Argo CD's cmd/main.go cut down to the components dbaas-operator's GitOps tests run
// (hack/argocd.sh): hack/build-argocd.sh builds it inside a copy of the argo-cd module, as
// cmd/dbaas-argocd. Like Argo CD's, it dispatches on argv[0] or ARGOCD_BINARY_NAME.
//
// Argo CD's main also calls util/grpc.DisableSRVLookups, which panics with gRPC v1.84.0 (the
// version v3.6.1's go.mod requires), whose EnableSRVLookups is already false: the
// workaround has nothing to do, and our addresses are IPs (no DNS), so it is left out.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	gitaskpass "github.com/argoproj/argo-cd/v3/cmd/argocd-git-ask-pass/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/util/log"
)

func init() {
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func main() {
	name := filepath.Base(os.Args[0])
	if v := os.Getenv("ARGOCD_BINARY_NAME"); v != "" {
		name = v
	}
	var command *cobra.Command
	switch name {
	case common.CommandApplicationController:
		command = appcontroller.NewCommand()
	case common.CommandRepoServer:
		command = reposerver.NewCommand()
	case common.CommandGitAskPass:
		command = gitaskpass.NewCommand()
	default:
		fmt.Fprintf(os.Stderr, "%s: not built here (only %s, %s, %s)\n", name,
			common.CommandApplicationController, common.CommandRepoServer, common.CommandGitAskPass)
		os.Exit(2)
	}
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}
