package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/moby/moby/client"
	"github.com/qtro/qtro/internal/proc"
)

// ownerLabel marks every container and network a case creates with the PID of
// the test process that owns it. Ryuk (testcontainers' reaper) cannot run here
// (its image cannot be pulled), so a test binary killed before Close would
// leave them behind; the next runner removes those whose owner is gone.
const ownerLabel = "org.qtro.owner-pid"

// ownerLabels returns the labels every case resource carries.
func ownerLabels(caseName string) map[string]string {
	return map[string]string{"org.qtro.case": caseName, ownerLabel: strconv.Itoa(os.Getpid())}
}

// reapOrphans removes containers, then networks, that cases of dead test
// processes left behind, and says how many.
func reapOrphans(ctx context.Context, cli *client.Client) (int, error) {
	orphan := func(labels map[string]string) bool {
		pid, err := strconv.Atoi(labels[ownerLabel])
		return err == nil && pid > 0 && pid != os.Getpid() && !proc.Alive(pid)
	}
	filter := client.Filters{}.Add("label", ownerLabel)
	n := 0
	var errs []error
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return 0, err
	}
	for _, c := range cs.Items {
		if orphan(c.Labels) {
			if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
				errs = append(errs, fmt.Errorf("remove container %s: %w", shortID(c.ID), err))
			} else {
				n++
			}
		}
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return n, errors.Join(append(errs, err)...)
	}
	for _, nw := range ns.Items {
		if orphan(nw.Labels) {
			if _, err := cli.NetworkRemove(ctx, nw.ID, client.NetworkRemoveOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("remove network %s: %w", nw.Name, err))
			} else {
				n++
			}
		}
	}
	return n, errors.Join(errs...)
}
