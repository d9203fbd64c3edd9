package qds_test

import (
	"reflect"
	"testing"

	"github.com/qtro/qtro/impl/qds"
)

func TestSplitTopLevel(t *testing.T) {
	for in, want := range map[string][]string{
		"":                              {""},
		"int":                           {"int"},
		"A, QMap<B,C>":                  {"A", "QMap<B,C>"},
		"QMap<QString,QList<int>>,bool": {"QMap<QString,QList<int>>", "bool"},
		" unsigned int , QString ":      {"unsigned int", "QString"},
		"a,":                            {"a", ""},
	} {
		if got := qds.SplitTopLevel(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitTopLevel(%q) = %q, want %q", in, got, want)
		}
	}
}
