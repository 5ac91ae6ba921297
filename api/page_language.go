package api

import (
	"github.com/candor/candor/models"
	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"
)

// pageLanguageKey holds a public page's language once the customer whose
// link it is is known.
const pageLanguageKey = "candor.page_language"

// setPageLanguage chooses the language of the pages answering a request
// on cust's link: their locale, else the browser's (web.Language).
func setPageLanguage(c *gin.Context, cust *models.Customer) {
	c.Set(pageLanguageKey, web.Language(cust.Locale, c.GetHeader("Accept-Language")))
}

// pageLanguage is the language of a public page: the customer's when the
// link named one, else the browser's Accept-Language (a broken link names
// nobody), else English.
func pageLanguage(c *gin.Context) language.Tag {
	if v, ok := c.Get(pageLanguageKey); ok {
		if tag, ok := v.(language.Tag); ok {
			return tag
		}
	}
	return web.Language("", c.GetHeader("Accept-Language"))
}
