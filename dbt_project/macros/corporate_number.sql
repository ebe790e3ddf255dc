{#- True when `column` is a 13-digit corporate number (法人番号) whose first digit is the
    check digit of the other twelve: check = 9 - (sum of P_n * Q_n mod 9), P_n the n-th
    digit of the 12-digit base counted from the right, Q_n = 1 for odd n and 2 for even n
    (National Tax Agency). Portable SQL, no regular expressions; the arithmetic runs
    only on 13 ASCII digits (a CASE, because AND does not stop a cast from failing). -#}
{% macro is_valid_corporate_number(column) -%}
    (case
        when {{ column }} is null or length({{ column }}) <> 13
            or translate({{ column }}, '0123456789', '') <> '' then false
        else cast(substr({{ column }}, 1, 1) as integer) = 9 - mod(
            {%- for n in range(1, 13) %}
            cast(substr({{ column }}, {{ 14 - n }}, 1) as integer) * {{ 1 if n % 2 == 1 else 2 }}{{ ' +' if not loop.last }}
            {%- endfor %},
            9
        )
    end)
{%- endmacro %}
