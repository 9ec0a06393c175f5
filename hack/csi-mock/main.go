// Command csi-mock serves the mock CSI driver that Kubernetes' own e2e tests use
// (k8s.io/kubernetes/test/e2e/storage/drivers/csi-test) on a unix socket, for the local
// test control plane (hack/csi.sh). Built by hack/build-csi.sh at KUBERNETES_VERSION.
//
// Three changes to what the mock answers, all in a gRPC interceptor:
//   - CreateSnapshot and ListSnapshots report size_bytes as the source volume's capacity
//     (the mock leaves it 0, so VolumeSnapshot.status.restoreSize would stay empty);
//   - a snapshot is reported not ready (ready_to_use false) while the hold file names it,
//     so a test can hold one back: one line per VolumeSnapshot, "namespace/name", or "*"
//     for every snapshot. The names come from the parameters csi-snapshotter adds with
//     --extra-create-metadata; a snapshot seen by name is remembered by id for ListSnapshots;
//   - a volume made from a snapshot names that snapshot's id as its content source (the mock
//     names its index in the snapshot cache), and CreateVolume is logged with it.
//
// Its state lives in memory: a restart loses every volume and snapshot.
package main

import (
	"bufio"
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"k8s.io/kubernetes/test/e2e/storage/drivers/csi-test/driver"
	"k8s.io/kubernetes/test/e2e/storage/drivers/csi-test/mock/service"
)

const (
	paramName      = "csi.storage.k8s.io/volumesnapshot/name"
	paramNamespace = "csi.storage.k8s.io/volumesnapshot/namespace"
)

type wrapper struct {
	svc      service.Service
	holdFile string
	mu       sync.Mutex
	names    map[string]string // snapshot id -> "namespace/name"
}

// held reports whether the hold file names this VolumeSnapshot (or holds all with "*").
func (w *wrapper) held(ref string) bool {
	f, err := os.Open(w.holdFile)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "*" || (line != "" && line == ref) {
			return true
		}
	}
	return false
}

// capacity of the volume with this id, 0 when unknown.
func (w *wrapper) capacity(ctx context.Context, id string) int64 {
	resp, err := w.svc.ListVolumes(ctx, &csi.ListVolumesRequest{})
	if err != nil {
		return 0
	}
	for _, e := range resp.GetEntries() {
		if e.GetVolume().GetVolumeId() == id {
			return e.GetVolume().GetCapacityBytes()
		}
	}
	return 0
}

func (w *wrapper) fix(ctx context.Context, s *csi.Snapshot) {
	if s == nil {
		return
	}
	if s.SizeBytes == 0 {
		s.SizeBytes = w.capacity(ctx, s.GetSourceVolumeId())
	}
	w.mu.Lock()
	ref := w.names[s.GetSnapshotId()]
	w.mu.Unlock()
	s.ReadyToUse = !w.held(ref)
}

func (w *wrapper) intercept(ctx context.Context, req interface{}, info *grpc.UnaryServerInfo,
	handler grpc.UnaryHandler) (interface{}, error) {
	resp, err := handler(ctx, req)
	if err != nil {
		log.Printf("%s: %v", info.FullMethod, err)
		return resp, err
	}
	switch r := resp.(type) {
	case *csi.CreateSnapshotResponse:
		q := req.(*csi.CreateSnapshotRequest)
		p := q.GetParameters()
		if p[paramName] != "" && r.GetSnapshot() != nil {
			w.mu.Lock()
			w.names[r.GetSnapshot().GetSnapshotId()] = p[paramNamespace] + "/" + p[paramName]
			w.mu.Unlock()
		}
		s := cloneSnap(r.GetSnapshot())
		w.fix(ctx, s)
		resp = &csi.CreateSnapshotResponse{Snapshot: s}
		log.Printf("%s %s: id %s ready %v size %d", info.FullMethod, q.GetName(),
			s.GetSnapshotId(), s.GetReadyToUse(), s.GetSizeBytes())
	case *csi.ListSnapshotsResponse:
		out := &csi.ListSnapshotsResponse{NextToken: r.GetNextToken()}
		for _, e := range r.GetEntries() {
			s := cloneSnap(e.GetSnapshot())
			w.fix(ctx, s)
			out.Entries = append(out.Entries, &csi.ListSnapshotsResponse_Entry{Snapshot: s})
		}
		resp = out
	case *csi.CreateVolumeResponse:
		// The driver's answer, for tests that check a volume came from a snapshot. The mock
		// records the snapshot's index in its cache as the content source, not its id
		// (newVolumeFromSnapshot gets FindSnapshot's index): put the id it was asked for,
		// which it checked exists, in its place.
		v := r.GetVolume()
		src := req.(*csi.CreateVolumeRequest).GetVolumeContentSource().GetSnapshot()
		if src != nil && v.GetContentSource().GetSnapshot() != nil {
			v.ContentSource = &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{
				Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: src.GetSnapshotId()}}}
		}
		log.Printf("%s %s: volume %s capacity %d from snapshot %q", info.FullMethod,
			req.(*csi.CreateVolumeRequest).GetName(), v.GetVolumeId(), v.GetCapacityBytes(),
			v.GetContentSource().GetSnapshot().GetSnapshotId())
	default:
		log.Printf("%s: ok", info.FullMethod)
	}
	return resp, nil
}

func cloneSnap(s *csi.Snapshot) *csi.Snapshot {
	if s == nil {
		return nil
	}
	return &csi.Snapshot{SnapshotId: s.SnapshotId, SourceVolumeId: s.SourceVolumeId,
		CreationTime: s.CreationTime, ReadyToUse: s.ReadyToUse, SizeBytes: s.SizeBytes,
		GroupSnapshotId: s.GroupSnapshotId}
}

func main() {
	endpoint := flag.String("endpoint", "", "unix socket path to serve on")
	name := flag.String("driver-name", "csi-mock.dbaas.dev", "CSI driver name")
	hold := flag.String("hold-file", "", "file naming VolumeSnapshots to report not ready")
	flag.Parse()
	if *endpoint == "" {
		log.Fatal("--endpoint is required")
	}
	svc := service.New(service.Config{DriverName: *name, DisableAttach: true})
	w := &wrapper{svc: svc, holdFile: *hold, names: map[string]string{}}
	d := driver.NewCSIDriver(&driver.CSIDriverServers{Controller: svc, Identity: svc, Node: svc})
	_ = os.Remove(*endpoint)
	l, err := net.Listen("unix", *endpoint)
	if err != nil {
		log.Fatalf("listen %s: %v", *endpoint, err)
	}
	if err := d.Start(l, w.intercept); err != nil {
		log.Fatalf("start: %v", err)
	}
	log.Printf("serving %s on %s", *name, *endpoint)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	d.Stop()
	_ = os.Remove(*endpoint)
}
