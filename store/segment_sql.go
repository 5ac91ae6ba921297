package store

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/candor/candor/models"
)

// ruleSQL compiles a parsed segment rule into a boolean SQL expression
// over the customers table aliased "c". User text never reaches the SQL
// string: field names map to fixed column expressions, attribute path
// segments and every value travel as parameters. Each expression below a
// NOT is two-valued (never NULL), so NOT and OR agree with the rule
// language's Explain (campaigns/segment); elsewhere a consent condition
// may be NULL where it is false, which WHERE reads alike (see consent).
type ruleSQL struct {
	dialect string
	now     time.Time
	args    []any
	// topics maps each consent topic the rule names to the alias of its
	// one join (see consentJoins).
	topics map[string]string
	// negations counts the NOTs above the node being compiled: below
	// none, a NULL behaves as false (see consent).
	negations int
}

// compiledRule is a rule as SQL: joins to put after "FROM customers c",
// the WHERE expression, and the arguments of both, in that order.
type compiledRule struct {
	joins string
	where string
	args  []any
}

// compileRule compiles r. The SQL grows linearly with the rule: every
// consent topic is joined once, however many conditions name it.
func compileRule(dialect string, r *models.Rule, now time.Time) compiledRule {
	b := &ruleSQL{dialect: dialect, now: now.UTC().Truncate(time.Microsecond)}
	joins := b.consentJoins(r)
	where := b.node(r)
	return compiledRule{joins: joins, where: where, args: b.args}
}

// arg binds v and returns its placeholder.
func (b *ruleSQL) arg(v any) string {
	b.args = append(b.args, v)
	if b.dialect == DialectPostgres {
		return "$" + strconv.Itoa(len(b.args))
	}
	return "?"
}

func (b *ruleSQL) pg() bool { return b.dialect == DialectPostgres }

func (b *ruleSQL) node(r *models.Rule) string {
	switch r.Kind {
	case models.RuleNot:
		b.negations++
		defer func() { b.negations-- }()
		return "NOT (" + b.node(r.Children[0]) + ")"
	case models.RuleAll, models.RuleAny:
		join := " AND "
		if r.Kind == models.RuleAny {
			join = " OR "
		}
		parts := make([]string, len(r.Children))
		for i, child := range r.Children {
			parts[i] = b.node(child)
		}
		return "(" + strings.Join(parts, join) + ")"
	}
	switch c := r.Cond; c.Kind {
	case models.FieldConsent:
		return b.consent(c)
	case models.FieldTime:
		return b.time(c)
	case models.FieldText:
		return b.text(c)
	}
	return b.attribute(r.Cond)
}

// sqlFalse is a portable false (SQLite has no boolean type).
const sqlFalse = "(1=0)"

// time compares a timestamp column; both columns are NOT NULL. The parser
// hands over before/after values in UTC, rounded to whole microseconds in
// the direction that keeps the operator exact, and within
// segment.MinTime..segment.MaxTime. SQLite relies on that: it compares the
// driver's "2006-01-02 15:04:05.999999999+00:00" text, which sorts like
// the instants only for four-digit years in one offset ("10000-01-01"
// would sort before "2026-...").
func (b *ruleSQL) time(c *models.Condition) string {
	col := "c.created_at"
	if c.Column == "updated_at" {
		col = "c.updated_at"
	}
	switch c.Op {
	case models.OpBefore:
		return "(" + col + " < " + b.arg(c.Value.Time) + ")"
	case models.OpAfter:
		return "(" + col + " > " + b.arg(c.Value.Time) + ")"
	case models.OpWithinLast:
		return "(" + col + " > " + b.arg(b.now.Add(-c.Value.Duration)) + ")"
	}
	return "(" + col + " <= " + b.arg(b.now.Add(-c.Value.Duration)) + ")"
}

// textColumns maps rule names to fixed column expressions. email_domain is
// the part after the last "@", spelled the same way in both dialects.
var textColumns = map[string]string{
	"locale":            "c.locale",
	"timezone":          "c.timezone",
	"preferred_channel": "c.preferred_channel",
	"email_domain":      "substr(c.email, length(rtrim(c.email, replace(c.email, '@', ''))) + 1)",
}

// text compares a text column, where "" means the customer has no value.
// The columns are NOT NULL, so the expressions are never NULL.
func (b *ruleSQL) text(c *models.Condition) string {
	col := textColumns[c.Column]
	present := "(" + col + " <> '')"
	switch c.Op {
	case models.OpExists:
		return present
	case models.OpNotExists:
		return "(" + col + " = '')"
	}
	return "(" + present + " AND " + b.stringOp(col, c) + ")"
}

// stringOp compares the text expression x with c's string value(s).
// PostgreSQL compares in byte order (COLLATE "C"), like Go and SQLite.
func (b *ruleSQL) stringOp(x string, c *models.Condition) string {
	cx := x
	if b.pg() {
		cx = x + ` COLLATE "C"`
	}
	switch c.Op {
	case models.OpEq:
		return x + " = " + b.arg(c.Value.Str)
	case models.OpNe:
		return x + " <> " + b.arg(c.Value.Str)
	case models.OpLt:
		return cx + " < " + b.arg(c.Value.Str)
	case models.OpLte:
		return cx + " <= " + b.arg(c.Value.Str)
	case models.OpGt:
		return cx + " > " + b.arg(c.Value.Str)
	case models.OpGte:
		return cx + " >= " + b.arg(c.Value.Str)
	case models.OpContains:
		if b.pg() {
			return "strpos(" + x + ", " + b.arg(c.Value.Str) + ") > 0"
		}
		return "instr(" + x + ", " + b.arg(c.Value.Str) + ") > 0"
	case models.OpStartsWith:
		if b.pg() {
			return "starts_with(" + x + ", " + b.arg(c.Value.Str) + ")"
		}
		return "substr(" + x + ", 1, length(" + b.arg(c.Value.Str) + ")) = " + b.arg(c.Value.Str)
	case models.OpIn, models.OpNotIn:
		not := ""
		if c.Op == models.OpNotIn {
			not = "NOT "
		}
		return not + b.inList(x, c.Value.List, "text")
	}
	return sqlFalse
}

// inList tests x against a list value bound as one parameter: an array on
// PostgreSQL, a JSON array read by json_each on SQLite. One parameter per
// list keeps 200 lists of 1,000 values under both parameter limits.
func (b *ruleSQL) inList(x string, list []models.Value, pgType string) string {
	if b.pg() {
		switch pgType {
		case "float8":
			nums := make([]float64, len(list))
			for i, v := range list {
				nums[i] = v.Num
			}
			return x + " = ANY(" + b.arg(nums) + "::float8[])"
		default:
			strs := make([]string, len(list))
			for i, v := range list {
				strs[i] = v.Str
			}
			return x + " = ANY(" + b.arg(strs) + "::text[])"
		}
	}
	raw := make([]any, len(list))
	for i, v := range list {
		if v.Type == models.ValueNumber {
			raw[i] = v.Num
		} else {
			raw[i] = v.Str
		}
	}
	doc, _ := json.Marshal(raw)
	return x + " IN (SELECT value FROM json_each(" + b.arg(string(doc)) + "))"
}

// attribute compiles a condition on attributes.<path>. An intermediate
// value that is not an object ends the path (arrays are never indexed),
// and a value of another JSON type than the operand never matches.
func (b *ruleSQL) attribute(c *models.Condition) string {
	if b.pg() {
		return b.pgAttribute(c)
	}
	return b.sqliteAttribute(c)
}

// pgPath returns the jsonb expression at the path and its text form. The
// path segments are text parameters: "->" with a text key never indexes an
// array, so "attributes.products.0" cannot mean the first product.
func (b *ruleSQL) pgPath(path []string) (j, t string) {
	j = "c.attributes"
	for _, seg := range path {
		ph := b.arg(seg)
		t = j + " ->> " + ph + "::text"
		j += " -> " + ph + "::text"
	}
	return j, t
}

func (b *ruleSQL) pgAttribute(c *models.Condition) string {
	switch c.Op {
	case models.OpExists, models.OpNotExists:
		j, _ := b.pgPath(c.Path)
		exists := "COALESCE(jsonb_typeof(" + j + ") <> 'null', FALSE)"
		if c.Op == models.OpNotExists {
			return "NOT " + exists
		}
		return exists
	case models.OpEq:
		// Containment is exact for strings and booleans and can use the
		// GIN index on attributes.
		if c.Value.Type != models.ValueNumber {
			return "(c.attributes @> " + b.arg(nestJSON(c.Path, c.Value)) + "::jsonb)"
		}
	case models.OpContains:
		// A string operand also searches string values; any scalar
		// searches arrays (containment compares elements by JSON type).
		j, t := b.pgPath(c.Path)
		elem, _ := json.Marshal([]any{scalarOf(c.Value)})
		out := "(jsonb_typeof(" + j + ") = 'array' AND " + j + " @> " + b.arg(string(elem)) + "::jsonb)"
		if c.Value.Type == models.ValueString {
			out = "(" + out + " OR (jsonb_typeof(" + j + ") = 'string' AND strpos(" + t + ", " + b.arg(c.Value.Str) + ") > 0))"
		}
		return "COALESCE(" + out + ", FALSE)"
	}
	j, t := b.pgPath(c.Path)
	vt := c.Value.Type
	if vt == models.ValueList {
		vt = c.Value.ListType
	}
	var typed, cmp string
	switch vt {
	case models.ValueNumber:
		typed = "jsonb_typeof(" + j + ") = 'number'"
		cmp = b.numberOp("("+t+")::float8", c)
	case models.ValueBool:
		typed = "jsonb_typeof(" + j + ") = 'boolean'"
		cmp = b.boolOp("("+t+")::boolean", c)
	default:
		typed = "jsonb_typeof(" + j + ") = 'string'"
		cmp = b.stringOp(t, c)
	}
	// CASE fixes the evaluation order: the ::float8 and ::boolean casts
	// would fail on a value of another type, and AND may be reordered.
	return "(CASE WHEN " + typed + " THEN " + cmp + " ELSE FALSE END)"
}

// sqlitePath returns the JSON path of the segments, bound as a parameter.
// Segments are letters, digits and underscores, so they need no quoting.
func sqlitePath(path []string) string { return "$." + strings.Join(path, ".") }

func (b *ruleSQL) sqliteAttribute(c *models.Condition) string {
	path := sqlitePath(c.Path)
	typ := func() string { return "json_type(c.attributes, " + b.arg(path) + ")" }
	val := func() string { return "json_extract(c.attributes, " + b.arg(path) + ")" }
	switch c.Op {
	case models.OpExists:
		return "COALESCE(" + typ() + " <> 'null', 0)"
	case models.OpNotExists:
		return "NOT COALESCE(" + typ() + " <> 'null', 0)"
	case models.OpContains:
		// Placeholders are positional: bind in the order they appear.
		out := "(" + typ() + " = 'array' AND "
		out += "EXISTS (SELECT 1 FROM json_each(c.attributes, " + b.arg(path) + ") e WHERE " + sqliteElem(b, c.Value) + "))"
		if c.Value.Type == models.ValueString {
			out = "(" + out + " OR (" + typ() + " = 'text' AND instr(" + val() + ", " + b.arg(c.Value.Str) + ") > 0))"
		}
		return "COALESCE(" + out + ", 0)"
	}
	vt := c.Value.Type
	if vt == models.ValueList {
		vt = c.Value.ListType
	}
	var out string
	switch vt {
	case models.ValueNumber:
		out = typ() + " IN ('integer', 'real') AND " + b.numberOp("CAST("+val()+" AS REAL)", c)
	case models.ValueBool:
		// json_type distinguishes true from false, so booleans compare by type name.
		out = b.boolOp(typ(), c)
	default:
		out = typ() + " = 'text' AND " + b.stringOp(val(), c)
	}
	return "COALESCE(" + out + ", 0)"
}

// sqliteElem matches a json_each row "e" against a scalar, by JSON type.
func sqliteElem(b *ruleSQL, v models.Value) string {
	switch v.Type {
	case models.ValueNumber:
		return "e.type IN ('integer', 'real') AND e.value = " + b.arg(v.Num)
	case models.ValueBool:
		return "e.type = " + b.arg(strconv.FormatBool(v.Bool))
	}
	return "e.type = 'text' AND e.value = " + b.arg(v.Str)
}

// numberOp compares the float8/REAL expression x with c's number(s).
func (b *ruleSQL) numberOp(x string, c *models.Condition) string {
	ops := map[models.Operator]string{models.OpEq: "=", models.OpNe: "<>", models.OpLt: "<", models.OpLte: "<=", models.OpGt: ">", models.OpGte: ">="}
	if op, ok := ops[c.Op]; ok {
		return x + " " + op + " " + b.arg(c.Value.Num)
	}
	not := ""
	if c.Op == models.OpNotIn {
		not = "NOT "
	}
	return not + b.inList(x, c.Value.List, "float8")
}

// boolOp compares a boolean. On PostgreSQL x is a boolean expression; on
// SQLite it is the json_type name ('true' or 'false').
func (b *ruleSQL) boolOp(x string, c *models.Condition) string {
	var set []bool
	switch c.Op {
	case models.OpEq, models.OpNe:
		set = []bool{c.Value.Bool}
	default:
		for _, v := range c.Value.List {
			set = append(set, v.Bool)
		}
	}
	negate := c.Op == models.OpNe || c.Op == models.OpNotIn
	var want []string
	for _, v := range []bool{true, false} {
		in := false
		for _, s := range set {
			in = in || s == v
		}
		if in != negate {
			want = append(want, strconv.FormatBool(v))
		}
	}
	if len(want) == 0 {
		// x is still mentioned: on SQLite it holds a bound placeholder.
		return "(" + x + " IS NULL AND " + sqlFalse + ")"
	}
	if b.pg() {
		if len(want) == 2 {
			return x + " IS NOT NULL"
		}
		return x + " = " + b.arg(want[0] == "true")
	}
	ph := make([]string, len(want))
	for i, w := range want {
		ph[i] = b.arg(w)
	}
	return x + " IN (" + strings.Join(ph, ", ") + ")"
}

// nestJSON builds {"a":{"b":v}} for path a.b, the containment probe of eq.
func nestJSON(path []string, v models.Value) string {
	var doc any = scalarOf(v)
	for i := len(path) - 1; i >= 0; i-- {
		doc = map[string]any{path[i]: doc}
	}
	raw, _ := json.Marshal(doc)
	return string(raw)
}

func scalarOf(v models.Value) any {
	switch v.Type {
	case models.ValueNumber:
		return v.Num
	case models.ValueBool:
		return v.Bool
	}
	return v.Str
}
