// Command example remotes a Go item model that a Qt QAbstractItemModelReplica
// displays, e.g. build/qtapps/qt6/qtro-qtapp --model-replica tcp://127.0.0.1:9998 Tasks
// (or a QML ListView over node.acquireModel("Tasks")). README.md shows this file.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/qtro/qtro/impl/model"
	"github.com/qtro/qtro/impl/node"
)

func main() {
	host, err := node.NewHost(context.Background(), "tcp://127.0.0.1:9998", node.Config{Dialect: node.Qt6})
	if err != nil {
		log.Fatal(err)
	}
	// Two columns; each cell has a display text and, in Qt::UserRole, a number.
	tasks := model.NewTableModel(2, map[int]string{model.DisplayRole: "display", model.UserRole: "done"})
	if err := tasks.SetHeaderData(0, model.Horizontal, model.DisplayRole, "Task"); err != nil {
		log.Fatal(err)
	}
	if _, err := model.Remote(host, tasks, "Tasks", []int{model.DisplayRole, model.UserRole}); err != nil {
		log.Fatal(err)
	}
	for n := 1; ; n++ {
		// Qt replicas get rowsInserted, then fetch the rows they show.
		if err := tasks.AppendRows([]model.Cell{
			{model.DisplayRole: fmt.Sprintf("task %d", n), model.UserRole: 0},
			{model.DisplayRole: time.Now().Format(time.TimeOnly)},
		}); err != nil {
			log.Fatal(err)
		}
		if n > 1 { // the one before is done: dataChanged
			if err := tasks.Set(n-2, 0, model.UserRole, 1); err != nil {
				log.Fatal(err)
			}
		}
		time.Sleep(time.Second)
	}
}
