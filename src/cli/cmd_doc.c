/*
 * cmd_doc.c — `pingan doc`: document templates for designers and operators.
 *
 *   pingan doc render KIND [--locale zh-CN|en] [--unit CODE] [--template FILE] -o FILE
 *       renders the template with its sample data (sample: in the file,
 *       made-up values for the rest) to a PDF;
 *   pingan doc check
 *       loads and validates every template (the district's and the units'
 *       overrides) against the workflows, as `pingan serve` does at start;
 *   pingan doc list
 *       the kinds and which units override them.
 *
 * None of them opens the database.
 */
#include "base/common.h"
#include "cli/cli.h"
#include "core/docs.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char doc_usage[] =
	"usage: pingan doc render KIND [--locale zh-CN|en] [--unit CODE] [--template FILE] -o FILE\n"
	"       pingan doc check\n"
	"       pingan doc list";

static const cli_opt_t doc_opts[] = {
	{ "locale", 'l', true, "zh-CN (default) or en" },
	{ "unit", 'u', true, "unit code: use its override in <data>/templates/CODE/ if any" },
	{ "template", 't', true, "render this template file instead of the installed one" },
	{ "output", 'o', true, "the PDF to write" },
};

static int open_docs(const pa_config_t *cfg, docs_t **docs, pa_err_t *err)
{
	arena_t *a = arena_new();
	struct stat st;
	bool data = stat(cfg->data_dir, &st) == 0 && S_ISDIR(st.st_mode);
	docs_options_t o = {
		.templates_dir = arena_printf(a, "%s/templates/docs", cfg->share_dir),
		.overrides_dir = data ? arena_printf(a, "%s/templates", cfg->data_dir) : NULL,
		.cache_dir = data ? arena_printf(a, "%s/cache/fonts", cfg->data_dir) : NULL,
	};
	int rc = docs_open(&o, docs, err);
	arena_free(a);
	return rc;
}

static int write_file(const char *path, const strbuf_t *sb)
{
	FILE *f = streq(path, "-") ? stdout : fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "pingan: cannot write %s\n", path);
		return EXIT_FAIL;
	}
	size_t w = fwrite(sb->buf, 1, sb->len, f);
	int rc = (f == stdout ? fflush(f) : fclose(f)) == 0 && w == sb->len ? EXIT_OK : EXIT_FAIL;
	if (rc != EXIT_OK)
		fprintf(stderr, "pingan: writing %s failed\n", path);
	return rc;
}

static int doc_render(const cli_args_t *a, const pa_config_t *cfg)
{
	if (a->npos != 2 || !cli_has(a, "output")) {
		fprintf(stderr, "%s\n", doc_usage);
		return EXIT_USAGE;
	}
	const char *kind = a->pos[1];
	const char *locale = cli_has(a, "locale") ? cli_get(a, "locale") : "zh-CN";
	if (!streq(locale, "zh-CN") && !streq(locale, "en")) {
		fprintf(stderr, "pingan: --locale must be zh-CN or en\n");
		return EXIT_USAGE;
	}
	pa_err_t err = { 0 };
	docs_t *docs;
	if (open_docs(cfg, &docs, &err) < 0) {
		cli_error(&err);
		return EXIT_CONFIG;
	}
	int rc = EXIT_OK;
	const char *unit = cli_get(a, "unit");
	if (cli_has(a, "template") && docs_add_file(docs, cli_get(a, "template"), unit, &err) < 0) {
		cli_error(&err);
		docs_close(docs);
		return EXIT_CONFIG;
	}
	const doc_template_t *t = docs_find(docs, kind, locale, unit);
	if (!t) {
		fprintf(stderr, "pingan: no template %s.%s.yaml (see `pingan doc list`)\n", kind, locale);
		docs_close(docs);
		return EXIT_USAGE;
	}
	json_t *vars = doc_template_sample(t);
	if (unit)
		json_object_set_new(vars, "issuer_code", json_string(unit));
	arena_t *ar = arena_new();
	json_object_set_new(vars, "doc_number",
	                    json_string(doc_template_number(
	                        ar, t, json_string_value(json_object_get(vars, "issuer_code")),
	                        unit ? NULL : json_string_value(json_object_get(vars, "issuer_abbr")),
	                        2026, 1)));
	strbuf_t pdf = STRBUF_INIT;
	int pages = 0;
	doc_render_in_t in = { t, vars };
	if (docs_render(docs, &in, 1, &pdf, &pages, &err) < 0) {
		cli_error(&err);
		rc = EXIT_FAIL;
	} else {
		rc = write_file(cli_get(a, "output"), &pdf);
		if (rc == EXIT_OK && !streq(cli_get(a, "output"), "-"))
			printf("%s: %s (%s), %d page%s, %zu bytes\n", cli_get(a, "output"),
			       doc_template_title(t), doc_template_source(t), pages, pages == 1 ? "" : "s",
			       pdf.len);
	}
	strbuf_release(&pdf);
	json_decref(vars);
	arena_free(ar);
	docs_close(docs);
	return rc;
}

static int doc_check(const pa_config_t *cfg, bool list)
{
	pa_err_t err = { 0 };
	docs_t *docs;
	if (open_docs(cfg, &docs, &err) < 0) {
		cli_error(&err);
		return EXIT_CONFIG;
	}
	int rc = EXIT_OK;
	wf_registry_t *wf = NULL;
	if (!list) {
		if (wf_registry_load_dir(cfg->workflows_dir, &wf, &err) < 0 ||
		    docs_check_workflows(docs, wf, &err) < 0) {
			cli_error(&err);
			rc = EXIT_CONFIG;
		}
		if (wf)
			wf_registry_free(wf);
	}
	const char **kinds = NULL;
	size_t n = docs_kinds(docs, &kinds);
	if (rc == EXIT_OK) {
		for (size_t i = 0; i < n; i++) {
			const doc_template_t *zh = docs_find(docs, kinds[i], "zh-CN", NULL);
			const doc_template_t *en = docs_find(docs, kinds[i], "en", NULL);
			printf("%-22s %-6s %s / %s\n", kinds[i],
			       zh && doc_template_public(zh) ? "public" : "unit",
			       zh ? doc_template_title(zh) : "-", en ? doc_template_title(en) : "-");
		}
		if (!list)
			printf("%zu document kinds, templates valid\n", n);
	}
	free(kinds);
	docs_close(docs);
	return rc;
}

int cmd_doc(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, doc_usage, doc_opts, ARRAY_SIZE(doc_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.npos < 1 || (!streq(a.pos[0], "render") && !streq(a.pos[0], "check") &&
	                   !streq(a.pos[0], "list"))) {
		fprintf(stderr, "%s\n", doc_usage);
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	if ((rc = cli_config(&a, &cfg)) != 0)
		return rc;
	if (streq(a.pos[0], "render"))
		rc = doc_render(&a, &cfg);
	else if (a.npos != 1) {
		fprintf(stderr, "%s\n", doc_usage);
		rc = EXIT_USAGE;
	} else
		rc = doc_check(&cfg, streq(a.pos[0], "list"));
	config_free(&cfg);
	return rc;
}
