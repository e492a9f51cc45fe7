package temporalconn

import (
	"context"
	"fmt"
	"sort"
	"strings"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-dspy/durable-dspy/workflows"
)

// checkSearchAttributes fails when the server lists its search attributes
// and some that the workflows set are missing: a workflow upserting an
// unknown attribute has every workflow task rejected, and would hang. A
// server that will not list them (a restricted credential) is given the
// benefit of the doubt.
func checkSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil
	}
	var missing []string
	for name, typ := range SearchAttributes() {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			missing = append(missing, fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type %s", namespace, name, typ))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("namespace %q lacks the search attributes durable-dspy's workflows set; create them once with:\n  %s",
		namespace, strings.Join(missing, "\n  "))
}

// SearchAttributes returns the custom search attributes the workflows set,
// by name, taken from the workflows package's keys so the two cannot drift.
// A type's String is the name the temporal CLI takes (Keyword, Double).
func SearchAttributes() map[string]enums.IndexedValueType {
	out := map[string]enums.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKey{
		workflows.SearchAttrOptimizer,
		workflows.SearchAttrProgram,
		workflows.SearchAttrBestScore,
		workflows.SearchAttrStatus,
	} {
		out[k.GetName()] = k.GetValueType()
	}
	return out
}
