package models

import (
	"strings"
)

// ParseDeliveryStatuses reads a status filter from query values, each of
// which may list several statuses separated by commas, so that
// ?status=planned,queued and ?status=planned&status=queued mean the same.
// Blank entries are ignored and repeats kept once, in the order given; no
// entry at all means no filter. EINVALID as ValidateDeliveryStatuses.
func ParseDeliveryStatuses(values []string) ([]DeliveryStatus, error) {
	var out []DeliveryStatus
	seen := map[DeliveryStatus]bool{}
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			st := DeliveryStatus(strings.TrimSpace(part))
			if st != "" && !seen[st] {
				seen[st] = true
				out = append(out, st)
			}
		}
	}
	return out, ValidateDeliveryStatuses(out)
}

// ValidateDeliveryStatuses checks a status filter. EINVALID on the query
// parameter "status" (rule "enum") naming every unknown status and listing
// the known ones.
func ValidateDeliveryStatuses(statuses []DeliveryStatus) error {
	var p Problems
	for _, st := range statuses {
		if !st.Valid() {
			p.Add("status", "enum", "unknown status %q: must be one of %s", st, deliveryStatusList())
		}
	}
	return p.Err()
}

func deliveryStatusList() string {
	names := make([]string, len(DeliveryStatuses))
	for i, st := range DeliveryStatuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}
