{% macro finish_build(results) -%}
    {#- The publish step of write-audit-publish, at the end of every run (on-run-end, after the docs hook).
        A writing run (build, run, seed, ...) built a working copy; it is published only when every node
        in `results` passed, otherwise the published warehouse stays as it was. The decision and the
        run log are Python (salesdw.pipeline.dbt_session), shared with the runner; the engine-specific
        part (closing the working copy) is dispatched. See DECISIONS.md, "Publishing a dbt build". -#}
    {{- return(adapter.dispatch('finish_build', 'marketing_warehouse')(results)) -}}
{%- endmacro %}

{% macro default__finish_build(results) -%}
    {{- exceptions.raise_compiler_error(
        "finish_build: no publish step for the " ~ adapter.type() ~ " adapter; the build was not published"
    ) -}}
{%- endmacro %}

{% macro spark__finish_build(results) -%}
    {#- Spark has no working copy to publish: a build replaces each table in place in the target schema
        (readers may see a half-finished build) and the runner says so. See DECISIONS.md, "Spark". -#}
    {%- if execute -%}
        {{- log('salesdw: Spark build, tables written in place in ' ~ target.schema ~ ' (no write-audit-publish)', info=False) -}}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__finish_build(results) -%}
    {#- salesdw_end_of_run() and salesdw_finish_build() are Python functions registered by the dbt-duckdb
        plugin (salesdw/pipeline/dbt_plugin.py). The working copy is attached as `warehouse`: it is
        checkpointed and detached (DuckDB closes the file) before the rename that publishes it. -#}
    {%- if execute -%}
        {%- set mode = run_query("select salesdw_end_of_run()").columns[0].values()[0] -%}
        {%- if mode == 'publish' -%}
            {%- do run_query("checkpoint warehouse") -%}
            {%- do run_query("use memory") -%}
            {%- do run_query("detach warehouse") -%}
            {%- set payload = tojson(build_results_payload(results)) -%}
            {%- set answer = fromjson(
                run_query("select salesdw_finish_build(" ~ sql_string(payload) ~ ")").columns[0].values()[0]
            ) -%}
            {%- for message in answer['messages'] -%}
                {{- log('salesdw: ' ~ message, info=True) -}}
            {%- endfor -%}
            {%- if answer['publish_failed'] -%}
                {#- Every node passed but publishing did not: fail the hook, so dbt exits non-zero. -#}
                select error({{ sql_string('salesdw: ' ~ answer['messages'][-1]) }})
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro build_results_payload(results) -%}
    {#- What the publish decision and the run log need from each result, as plain values. -#}
    {%- set rows = [] -%}
    {%- for result in results if result.node is defined -%}
        {%- set node = result.node -%}
        {%- do rows.append({
            'unique_id': node.unique_id,
            'name': node.name,
            'resource_type': node.resource_type | string,
            'original_file_path': node.original_file_path | string,
            'attached_node': node.attached_node | string if node.attached_node else none,
            'depends_on': node.depends_on.nodes | list if node.depends_on.nodes else [],
            'status': result.status | string,
            'failures': result.failures if result.failures is number else none,
            'message': result.message | string if result.message else none,
        }) -%}
    {%- endfor -%}
    {{- return(rows) -}}
{%- endmacro %}
