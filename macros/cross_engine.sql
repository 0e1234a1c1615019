{#- SQL that DuckDB and Spark write differently, one macro each (adapter.dispatch, the pattern of dbt-utils):
    a `default__` (DuckDB, the reference engine) and a `spark__` implementation. Models call these macros and
    dbt's own cross-database macros (dbt.datediff, dbt.dateadd, dbt.date_trunc, dbt.safe_cast); no model is
    copied per engine. Every spark__ body gives the same value as its default__ (tests/test_spark.py builds
    both engines and compares every mart). -#}

{% macro quote_column(name) -%}
    {#- A column name as an identifier, whatever it holds (spaces, colons, quotes). -#}
    {{- adapter.dispatch('quote_column', 'marketing_warehouse')(name) -}}
{%- endmacro %}
{% macro default__quote_column(name) -%}"{{ name | replace('"', '""') }}"{%- endmacro %}
{% macro spark__quote_column(name) -%}`{{ name | replace('`', '``') }}`{%- endmacro %}

{% macro regexp_matches_fully(column, pattern) -%}
    {#- True when the whole text matches the pattern (RE2 / Java regex: the patterns here use only what the
        two share). Write `[.]`, not a backslash escape: Spark's string literals consume backslashes. -#}
    {{- adapter.dispatch('regexp_matches_fully', 'marketing_warehouse')(column, pattern) -}}
{%- endmacro %}
{% macro default__regexp_matches_fully(column, pattern) -%}
    regexp_full_match({{ column }}, '{{ pattern }}')
{%- endmacro %}
{% macro spark__regexp_matches_fully(column, pattern) -%}
    ({{ column }} rlike '^(?:{{ pattern | replace('\\', '\\\\') }})$')
{%- endmacro %}

{% macro regexp_replace_all(column, pattern, replacement) -%}
    {#- Every match of the pattern replaced. -#}
    {{- adapter.dispatch('regexp_replace_all', 'marketing_warehouse')(column, pattern, replacement) -}}
{%- endmacro %}
{% macro default__regexp_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro spark__regexp_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, '{{ pattern | replace('\\', '\\\\') }}', '{{ replacement }}')
{%- endmacro %}

{% macro md5_key_number(column) -%}
    {#- A non-negative BIGINT from the text's MD5: DuckDB's md5_number_lower (the last 8 bytes of the digest
        read as a little-endian unsigned integer) shifted right by one bit. Keys built from it (macros/ids.sql)
        are the same on every engine. -#}
    {{- adapter.dispatch('md5_key_number', 'marketing_warehouse')(column) -}}
{%- endmacro %}
{% macro default__md5_key_number(column) -%}
    cast(md5_number_lower({{ column }}) >> 1 as bigint)
{%- endmacro %}
{% macro spark__md5_key_number(column) -%}
    {#- The last 16 hex digits byte-reversed (little-endian), read as a signed 64-bit integer by conv(),
        then an unsigned shift. -#}
    shiftrightunsigned(cast(conv(concat(
        {%- for start in range(31, 16, -2) -%}
        substr(md5({{ column }}), {{ start }}, 2){{ ', ' if not loop.last }}
        {%- endfor -%}
    ), 16, -10) as bigint), 1)
{%- endmacro %}

{% macro is_not_finite(column) -%}
    {#- NaN or plus/minus infinity (a double). -#}
    {{- adapter.dispatch('is_not_finite', 'marketing_warehouse')(column) -}}
{%- endmacro %}
{% macro default__is_not_finite(column) -%}
    (isnan({{ column }}) or isinf({{ column }}))
{%- endmacro %}
{% macro spark__is_not_finite(column) -%}
    (isnan({{ column }}) or abs({{ column }}) = double('infinity'))
{%- endmacro %}

{% macro materialized_cte() -%}
    {#- A CTE that later CTEs read several times, computed once:
        `name as {% call materialized_cte() %} select ... {% endcall %}`. DuckDB: `as materialized (...)`.
        Spark has no such hint and inlines a deterministic CTE into each of its readers, so the touchpoint
        staging planned 24 scans of its files where 12 do (5x its time on a small input, DECISIONS.md,
        "Spark"); a CTE that is not deterministic is planned once and its result shared, hence a filter that
        keeps every row but is not deterministic. -#}
    {{- adapter.dispatch('materialized_cte', 'marketing_warehouse')(caller) -}}
{%- endmacro %}
{% macro default__materialized_cte(body) -%}
materialized ({{ body() }})
{%- endmacro %}
{% macro spark__materialized_cte(body) -%}
(select * from ({{ body() }}) as computed_once where rand() >= 0)
{%- endmacro %}

{% macro inlined_cte() -%}
    {#- A CTE computed inside each reader instead of once: `name as {% call inlined_cte() %} select ...
        {% endcall %}`. DuckDB materializes a CTE that two readers reference, holding all its rows; for a wide
        per-customer chain read whole by one reader and for a few columns by another, recomputing the few
        columns costs less than holding every row. DuckDB: `as not materialized (...)`. Spark inlines such a
        CTE anyway. -#}
    {{- adapter.dispatch('inlined_cte', 'marketing_warehouse')(caller) -}}
{%- endmacro %}
{% macro default__inlined_cte(body) -%}
not materialized ({{ body() }})
{%- endmacro %}
{% macro spark__inlined_cte(body) -%}
({{ body() }})
{%- endmacro %}

{% macro repeated_keys(keys, source, condition='true') -%}
    {#- The values of the key columns `keys` that more than one row of `source` (a relation, a CTE or an
        aliased subquery) where `condition` holds carries, null equal to null as in a group-by; a key of n
        rows may come back up to n - 1 times, so read it with `in` or `exists`. -#}
    {{- adapter.dispatch('repeated_keys', 'marketing_warehouse')(keys, source, condition) -}}
{%- endmacro %}
{% macro default__repeated_keys(keys, source, condition) -%}
    {#- DuckDB: the keys sorted, each compared with the next, instead of `group by ... having count(*) > 1`,
        whose hash table holds every distinct key: where almost every key is distinct, as in the staging
        models and the key tests, the sort costs about half (20.5M touch hashes 7.9 -> 4.3 CPU-s, 10M order
        ids 4.3 -> 2.4). has_next tells the last row's missing neighbour from a null key. -#}
    select {{ keys | join(', ') }}
    from (
        select
            {{ keys | join(', ') }},
            lead(true) over sorted_keys as has_next,
            {%- for key in keys %}
            lead({{ key }}) over sorted_keys as next_key_{{ loop.index }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ source }}
        where {{ condition }}
        window sorted_keys as (order by {{ keys | join(', ') }})
    ) as neighbours
    where has_next
        {%- for key in keys %}
        and {{ key }} is not distinct from next_key_{{ loop.index }}
        {%- endfor %}
{%- endmacro %}
{% macro spark__repeated_keys(keys, source, condition) -%}
    {#- Spark runs a window without a partition in one task: a group-by there. -#}
    select {{ keys | join(', ') }}
    from {{ source }}
    where {{ condition }}
    group by {{ keys | join(', ') }}
    having count(*) > 1
{%- endmacro %}

{% macro repeated_key_rows(model, keys, condition='true', rows_condition=none) -%}
    {#- The key data tests' failing rows: each key held by more than one row of `model` where `condition`
        holds, once, with its row count (nulls equal, as in a group-by). rows_condition, when given, filters
        the counted rows instead (a cheaper filter that keeps every row of a repeated key). -#}
    {{- adapter.dispatch('repeated_key_rows', 'marketing_warehouse')(model, keys, condition, rows_condition) -}}
{%- endmacro %}
{% macro default__repeated_key_rows(model, keys, condition, rows_condition) -%}
    {#- The repeated keys found by a sort (repeated_keys), then their rows counted: almost always none. -#}
    select {{ keys | join(', ') }}, count(*) as row_count
    from {{ model }} as tested
    where {{ rows_condition or condition }}
        and exists (
            select 1
            from ({{ repeated_keys(keys, model, condition) }}) as repeated
            where
                {%- for key in keys %}
                {{ "and " if not loop.first }}repeated.{{ key }} is not distinct from tested.{{ key }}
                {%- endfor %}
        )
    group by {{ keys | join(', ') }}
{%- endmacro %}
{% macro spark__repeated_key_rows(model, keys, condition, rows_condition) -%}
    select {{ keys | join(', ') }}, count(*) as row_count
    from {{ model }}
    where {{ condition }}
    group by {{ keys | join(', ') }}
    having count(*) > 1
{%- endmacro %}

{% macro incremental_or_table() -%}
    {#- The materialization of an incremental model: `incremental` on DuckDB; on Spark a plain `table`
        rebuilt in full every run, because the delete+insert strategy needs Delta (or Iceberg/Hudi) tables,
        which a local Spark without those jars does not have (DECISIONS.md, "Spark"). A model written
        for incremental runs is correct as a table: is_incremental() is false there. -#}
    {{- return('table' if target.type == 'spark' else 'incremental') -}}
{%- endmacro %}

{% macro raw_file_stats(path) -%}
    {#- One row per file the path (file or glob) matches: source_file, file_bytes, file_modified_at. -#}
    {{- adapter.dispatch('raw_file_stats', 'marketing_warehouse')(path) -}}
{%- endmacro %}
{% macro default__raw_file_stats(path) -%}
    -- read_blob without its content column only stats the files.
    select
        filename as source_file,
        size as file_bytes,
        last_modified as file_modified_at
    from read_blob('{{ path | replace("'", "''") }}')
{%- endmacro %}
{% macro spark__raw_file_stats(path) -%}
    -- The binaryFile reader does not read a file's content when the column is not selected.
    select
        {{ spark_file_path('path') }} as source_file,
        length as file_bytes,
        modificationTime as file_modified_at
    from binaryFile.`{{ path | replace('`', '``') }}`
{%- endmacro %}

{% macro date_part_number(part, column) -%}
    {#- A date part as an integer, DuckDB's part names: day, isodow (1 = Monday), week (ISO), isoyear, month,
        quarter, year. -#}
    {{- adapter.dispatch('date_part_number', 'marketing_warehouse')(part, column) -}}
{%- endmacro %}
{% macro default__date_part_number(part, column) -%}
    extract('{{ part }}' from {{ column }})::integer
{%- endmacro %}
{% macro spark__date_part_number(part, column) -%}
    {%- set names = {'isodow': 'DAYOFWEEK_ISO', 'isoyear': 'YEAROFWEEK'} -%}
    cast(date_part('{{ names.get(part, part | upper) }}', {{ column }}) as int)
{%- endmacro %}

{% macro date_text(column, duckdb_format, spark_pattern) -%}
    {#- A date as text: the strftime format on DuckDB and the same text through Spark's datetime pattern
        (both given, so a reader sees that they agree: '%Y-%m' and 'yyyy-MM', '%A' and 'EEEE'). -#}
    {{- adapter.dispatch('date_text', 'marketing_warehouse')(column, duckdb_format, spark_pattern) -}}
{%- endmacro %}
{% macro default__date_text(column, duckdb_format, spark_pattern) -%}
    strftime({{ column }}, '{{ duckdb_format }}')
{%- endmacro %}
{% macro spark__date_text(column, duckdb_format, spark_pattern) -%}
    date_format({{ column }}, '{{ spark_pattern }}')
{%- endmacro %}

{% macro days_between_from(relation, start_column, end_column, day_column) -%}
    {#- A FROM clause: each row of the relation once per day from start to end (inclusive), the day as
        day_column (a date on Spark, a timestamp on DuckDB: cast it). -#}
    {{- adapter.dispatch('days_between_from', 'marketing_warehouse')(relation, start_column, end_column, day_column) -}}
{%- endmacro %}
{% macro default__days_between_from(relation, start_column, end_column, day_column) -%}
    {{ relation }},
        range({{ start_column }}, {{ end_column }} + interval 1 day, interval 1 day) as spine ({{ day_column }})
{%- endmacro %}
{% macro spark__days_between_from(relation, start_column, end_column, day_column) -%}
    {{ relation }}
        lateral view explode(sequence({{ start_column }}, {{ end_column }}, interval 1 day)) spine as {{ day_column }}
{%- endmacro %}

{% macro format_text(template, arguments) -%}
    {#- Text from a template with Python-style placeholders, as DuckDB's format(): `{}` (the value's text),
        `{:.1f}` (fixed decimals) and `{:,.0f}` (fixed decimals, comma thousands). arguments: SQL expressions,
        one per placeholder. Rounding is half-to-even on both engines (DuckDB's fmt; Spark's bround). -#}
    {{- adapter.dispatch('format_text', 'marketing_warehouse')(template, arguments) -}}
{%- endmacro %}
{% macro default__format_text(template, arguments) -%}
    format('{{ template | replace("'", "''") }}'{% for argument in arguments %}, {{ argument }}{% endfor %})
{%- endmacro %}
{% macro spark__format_text(template, arguments) -%}
    {%- set parts = modules.re.split('(\\{[^}]*\\})', template) -%}
    {%- set pieces = [] -%}
    {%- set position = namespace(value=0) -%}
    {%- for part in parts if part -%}
        {%- if part.startswith('{') and part.endswith('}') -%}
            {%- set argument = arguments[position.value] -%}
            {%- set position.value = position.value + 1 -%}
            {%- set spec = modules.re.fullmatch('\\{:([+]?)(,?)(?:[.]([0-9]+)f)?\\}', part) -%}
            {%- if part == '{}' -%}
                {%- do pieces.append('cast(' ~ argument ~ ' as string)') -%}
            {%- elif spec -%}
                {%- set digits = spec.group(3) or '0' -%}
                {%- if spec.group(2) -%}
                    {%- set text = 'format_number(bround(' ~ argument ~ ', ' ~ digits ~ '), ' ~ digits ~ ')' -%}
                {%- else -%}
                    {%- set text = 'cast(cast(bround(' ~ argument ~ ', ' ~ digits ~ ') as decimal(38, ' ~ digits ~ ')) as string)' -%}
                {%- endif -%}
                {%- if spec.group(1) -%}
                    {%- set text = "concat(case when " ~ argument ~ " >= 0 then '+' else '' end, " ~ text ~ ")" -%}
                {%- endif -%}
                {%- do pieces.append(text) -%}
            {%- else -%}
                {{- exceptions.raise_compiler_error('format_text: unsupported placeholder ' ~ part) -}}
            {%- endif -%}
        {%- else -%}
            {%- do pieces.append("'" ~ (part | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    concat({{ pieces | join(', ') }})
{%- endmacro %}

{% macro integer_series_join(start, stop, alias, column) -%}
    {#- Joins each row to the integers start..stop (inclusive, expressions of the row), as alias.column. -#}
    {{- adapter.dispatch('integer_series_join', 'marketing_warehouse')(start, stop, alias, column) -}}
{%- endmacro %}
{% macro default__integer_series_join(start, stop, alias, column) -%}
    cross join generate_series({{ start }}, {{ stop }}) as {{ alias }} ({{ column }})
{%- endmacro %}
{% macro spark__integer_series_join(start, stop, alias, column) -%}
    lateral view explode(sequence({{ start }}, {{ stop }})) {{ alias }} as {{ column }}
{%- endmacro %}

{% macro type_timestamp_tz() -%}
    {#- An instant: DuckDB's TIMESTAMP WITH TIME ZONE; Spark's TIMESTAMP is one (session time zone). -#}
    {{- adapter.dispatch('type_timestamp_tz', 'marketing_warehouse')() -}}
{%- endmacro %}
{% macro default__type_timestamp_tz() -%}timestamp with time zone{%- endmacro %}
{% macro spark__type_timestamp_tz() -%}timestamp{%- endmacro %}

{% macro struct_of(fields) -%}
    {#- A struct from (name, expression) pairs; read back as value.name on both engines. -#}
    {{- adapter.dispatch('struct_of', 'marketing_warehouse')(fields) -}}
{%- endmacro %}
{% macro default__struct_of(fields) -%}
    struct_pack({% for name, expression in fields %}{{ name }} := {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}
{% macro spark__struct_of(fields) -%}
    named_struct({% for name, expression in fields %}'{{ name }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro ordered_text_agg(expression, separator, order_by) -%}
    {#- The texts of a group joined by the separator, in the given order. -#}
    {{- adapter.dispatch('ordered_text_agg', 'marketing_warehouse')(expression, separator, order_by) -}}
{%- endmacro %}
{% macro default__ordered_text_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}
{% macro spark__ordered_text_agg(expression, separator, order_by) -%}
    array_join(transform(
        array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'text', {{ expression }}))),
        item -> item.text
    ), '{{ separator }}')
{%- endmacro %}

{% macro round_double(expression, digits) -%}
    {#- A double rounded to `digits` decimals as DuckDB's round() does: its exact binary value, half away from
        zero (61.49374999999999857..., whose shortest text is 61.49375, gives 61.4937). For doubles only. -#}
    {{- adapter.dispatch('round_double', 'marketing_warehouse')(expression, digits) -}}
{%- endmacro %}
{% macro default__round_double(expression, digits) -%}round({{ expression }}, {{ digits }}){%- endmacro %}
{% macro spark__round_double(expression, digits) -%}
    {#- Spark's round() rounds the shortest decimal text of a double (61.49375 -> 61.4938). Here: y = |x| * m
        (m = 10^digits, below 2^27 so it needs no split) and Dekker's exact error of that product, err, with
        |x| split into 26-bit halves (Veltkamp); y - floor(y) - 0.5 is exact, so only a product that rounds to
        an exact tie looks at err's sign. -#}
    {%- if digits | int > 8 -%}
        {{ exceptions.raise_compiler_error("round_double supports at most 8 digits") }}
    {%- endif -%}
    {%- set x = '(' ~ expression ~ ')' -%}
    {%- set m = 'cast(' ~ 10 ** (digits | int) ~ ' as double)' -%}
    {%- set a = 'abs(' ~ x ~ ')' -%}
    {%- set y = '(' ~ a ~ ' * ' ~ m ~ ')' -%}
    {%- set c = '(134217729D * ' ~ a ~ ')' -%}
    {%- set a_high = '(' ~ c ~ ' - (' ~ c ~ ' - ' ~ a ~ '))' -%}
    {%- set error = '((' ~ a_high ~ ' * ' ~ m ~ ' - ' ~ y ~ ') + (' ~ a ~ ' - ' ~ a_high ~ ') * ' ~ m ~ ')' -%}
    {%- set tie = '(' ~ y ~ ' - floor(' ~ y ~ ') - 0.5D)' -%}
    (sign({{ x }}) * (floor({{ y }}) + case when {{ tie }} > 0 or ({{ tie }} = 0 and {{ error }} >= 0) then 1 else 0 end) / {{ m }})
{%- endmacro %}

{% macro text_literal(text) -%}
    {#- A constant text with its apostrophes escaped: DuckDB doubles them; Spark reads 'a''b' as two adjacent
        literals ('ab') and escapes with a backslash. -#}
    {{- adapter.dispatch('text_literal', 'marketing_warehouse')(text) -}}
{%- endmacro %}
{% macro default__text_literal(text) -%}'{{ text | replace("'", "''") }}'{%- endmacro %}
{% macro spark__text_literal(text) -%}'{{ text | replace('\\', '\\\\') | replace("'", "\\'") }}'{%- endmacro %}
