package content

import (
	"math"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// rgba is a colour with channels 0-1.
type rgba struct{ r, g, b, a float64 }

var (
	black    = rgba{0, 0, 0, 1}
	white    = rgba{1, 1, 1, 1}
	linkBlue = rgba{0, 0, 0xEE / 255.0, 1} // what mail clients draw an unstyled link in
)

// namedColors are the CSS colour keywords email HTML uses most; an
// unknown name leaves the colour as it was.
var namedColors = map[string]string{
	"black": "#000", "white": "#fff", "red": "#f00", "green": "#008000", "blue": "#00f", "yellow": "#ff0",
	"gray": "#808080", "grey": "#808080", "silver": "#c0c0c0", "lightgray": "#d3d3d3", "lightgrey": "#d3d3d3",
	"whitesmoke": "#f5f5f5", "gainsboro": "#dcdcdc", "snow": "#fffafa", "ivory": "#fffff0", "azure": "#f0ffff",
	"aliceblue": "#f0f8ff", "ghostwhite": "#f8f8ff", "mintcream": "#f5fffa", "seashell": "#fff5ee", "linen": "#faf0e6",
	"beige": "#f5f5dc", "navy": "#000080", "maroon": "#800000", "purple": "#800080", "teal": "#008080",
	"olive": "#808000", "orange": "#ffa500", "darkgray": "#a9a9a9", "darkgrey": "#a9a9a9", "dimgray": "#696969",
	"lime": "#0f0", "aqua": "#0ff", "cyan": "#0ff", "fuchsia": "#f0f", "magenta": "#f0f",
}

// parseColor reads #rgb, #rgba, #rrggbb, #rrggbbaa, rgb()/rgba(), the
// names above and transparent.
func parseColor(s string) (rgba, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "transparent" {
		return rgba{}, true
	}
	if hex, ok := namedColors[s]; ok {
		s = hex
	}
	if strings.HasPrefix(s, "#") {
		h := s[1:]
		if len(h) == 3 || len(h) == 4 {
			var b strings.Builder
			for _, c := range h {
				b.WriteRune(c)
				b.WriteRune(c)
			}
			h = b.String()
		}
		if len(h) != 6 && len(h) != 8 {
			return rgba{}, false
		}
		n, err := strconv.ParseUint(h, 16, 64)
		if err != nil {
			return rgba{}, false
		}
		if len(h) == 6 {
			n = n<<8 | 0xff
		}
		return rgba{float64(n>>24&0xff) / 255, float64(n>>16&0xff) / 255, float64(n>>8&0xff) / 255, float64(n&0xff) / 255}, true
	}
	if strings.HasPrefix(s, "rgb") {
		i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if i < 0 || j < i {
			return rgba{}, false
		}
		parts := strings.FieldsFunc(s[i+1:j], func(r rune) bool { return r == ',' || r == ' ' || r == '/' })
		if len(parts) < 3 {
			return rgba{}, false
		}
		c := rgba{a: 1}
		for k, dst := range []*float64{&c.r, &c.g, &c.b} {
			v, ok := channel(parts[k], 255)
			if !ok {
				return rgba{}, false
			}
			*dst = v
		}
		if len(parts) > 3 {
			v, ok := channel(parts[3], 1)
			if !ok {
				return rgba{}, false
			}
			c.a = v
		}
		return c, true
	}
	return rgba{}, false
}

// channel reads "128", "50%" or "0.5" on a scale of max, as 0-1.
func channel(s string, max float64) (float64, bool) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		return math.Min(math.Max(v/100, 0), 1), err == nil
	}
	v, err := strconv.ParseFloat(s, 64)
	return math.Min(math.Max(v/max, 0), 1), err == nil
}

// over blends c over an opaque background.
func (c rgba) over(bg rgba) rgba {
	return rgba{c.r*c.a + bg.r*(1-c.a), c.g*c.a + bg.g*(1-c.a), c.b*c.a + bg.b*(1-c.a), 1}
}

// contrast is the WCAG 2 contrast ratio of two opaque colours, 1 to 21.
func contrast(a, b rgba) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c rgba) float64 {
	lin := func(v float64) float64 {
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// lengthPx reads a CSS length in px, pt, em, rem or % (of base), or a
// bare number (legacy attributes), as pixels.
func lengthPx(s string, base float64) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	units := []struct {
		suffix string
		factor float64
	}{{"px", 1}, {"pt", 4.0 / 3}, {"rem", 16}, {"em", base}, {"%", base / 100}, {"", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil {
				return 0, false
			}
			return v * u.factor, true
		}
	}
	return 0, false
}

// fontKeywords are the absolute font-size keywords, in px.
var fontKeywords = map[string]float64{"xx-small": 9, "x-small": 10, "small": 13, "medium": 16, "large": 18, "x-large": 24, "xx-large": 32}

// tiny reports whether a width or height attribute is 0 or 1 pixel.
func tiny(v string) bool {
	px, ok := lengthPx(v, 0)
	return ok && px < minBoxPx
}

// child computes the style of element n from its parent's style st and
// the declarations that apply to it (cascade), plus legacy attributes.
func (st style) child(n *html.Node, d map[string]string) style {
	if st.hidden == "" && attr(n, "hidden") != nil {
		st.hidden = "the hidden attribute"
	}
	if bg := attr(n, "bgcolor"); bg != nil {
		if c, ok := parseColor(bg.Val); ok {
			st.backdrop = c.over(st.backdrop)
		}
	}
	if fc := attr(n, "color"); fc != nil && n.Data == "font" {
		if c, ok := parseColor(fc.Val); ok {
			st.color = c
		}
	}
	parentColor := st.color
	if n.Data == "a" {
		st.color = linkBlue // unless the link is styled itself
	}
	if st.hidden == "" {
		switch {
		case d["display"] == "none":
			st.hidden = "display: none"
		case d["mso-hide"] == "all":
			st.hidden = "mso-hide: all"
		case strings.HasPrefix(d["transform"], "scale(0)") || strings.HasPrefix(d["transform"], "scale(0,"):
			st.hidden = "transform: scale(0)"
		case strings.Contains(d["clip"], "rect(0") && strings.ReplaceAll(strings.ReplaceAll(d["clip"], ",", ""), "px", "") == "rect(0 0 0 0)",
			d["clip-path"] == "inset(50%)" || d["clip-path"] == "inset(100%)":
			st.hidden = "clipped away"
		case offScreen(d):
			st.hidden = "positioned off-screen"
		case collapsed(d):
			st.hidden = "a height or width near 0 with overflow hidden"
		}
	}
	switch v := d["visibility"]; v {
	case "hidden", "collapse":
		st.visibility = true
	case "visible":
		st.visibility = false
	}
	if o, ok := d["opacity"]; ok {
		if v, ok := channel(o, 1); ok {
			st.opacity *= v
		}
	}
	if fs, ok := d["font-size"]; ok {
		if px, ok := fontKeywords[fs]; ok {
			st.fontPx = px
		} else if px, ok := lengthPx(fs, st.fontPx); ok {
			st.fontPx = px
		}
	}
	if c, ok := d["color"]; ok {
		if c == "inherit" || c == "currentcolor" {
			st.color = parentColor
		} else if col, ok := parseColor(c); ok {
			st.color = col
		}
	}
	if bg, ok := d["background-color"]; ok {
		if c, ok := parseColor(bg); ok {
			st.backdrop = c.over(st.backdrop)
		}
	} else if b, ok := d["background"]; ok {
		if strings.Contains(b, "url(") {
			st.unknownBg = true // text on an image: its contrast cannot be judged
		}
		if c, ok := parseColor(b); ok {
			st.backdrop = c.over(st.backdrop)
		} else {
			for _, f := range strings.Fields(b) {
				if c, ok := parseColor(f); ok {
					st.backdrop = c.over(st.backdrop)
					break
				}
			}
		}
	}
	return st
}

// offScreen: a positioned box moved far out, or text indented out of it.
func offScreen(d map[string]string) bool {
	far := func(prop string) bool {
		px, ok := lengthPx(d[prop], 16)
		return ok && px <= -offScreenPx
	}
	if p := d["position"]; (p == "absolute" || p == "fixed" || p == "relative") && (far("left") || far("top") || far("right") || far("bottom")) {
		return true
	}
	return far("text-indent") || far("margin-left") || far("margin-top")
}

// collapsed: a box too low or narrow to show its content, which its
// hidden overflow cuts off.
func collapsed(d map[string]string) bool {
	over := d["overflow"] + " " + d["overflow-x"] + " " + d["overflow-y"]
	if !strings.Contains(over, "hidden") && !strings.Contains(over, "clip") {
		return false
	}
	for _, prop := range []string{"height", "max-height", "width", "max-width"} {
		if px, ok := lengthPx(d[prop], 16); ok && px < minBoxPx {
			return true
		}
	}
	return false
}
