/* Material for MkDocs 9.8 (MIT licence): the inline script of partials/javascripts/content.html, moved to a file
 * so that the Content-Security-Policy can forbid inline scripts. */
var target=document.getElementById(location.hash.slice(1));target&&target.name&&(target.checked=target.name.startsWith("__tabbed_"))
