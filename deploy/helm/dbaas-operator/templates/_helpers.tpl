{{/* The release's name for its objects: the release name, prefixed with the chart's unless it
     already holds it; at most 63 characters (a label value). */}}
{{- define "dbaas-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dbaas-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dbaas-operator.labels" -}}
{{ include "dbaas-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: dbaas-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "dbaas-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dbaas-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "dbaas-operator.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The documents of a file under files/ (a copy of one in deploy/, hack/gen-helm-chart.sh),
     as a list of objects: {{ include "dbaas-operator.docs" (list . "files/rbac.yaml") }}
     renders them as YAML under the key "docs", for fromYaml. */}}
{{- define "dbaas-operator.docs" -}}
{{- $root := index . 0 -}}
{{- $docs := list -}}
{{- range $doc := regexSplit "(?m)^---[ \t]*$" ($root.Files.Get (index . 1)) -1 -}}
{{- $o := fromYaml $doc -}}
{{- if $o.Error -}}
{{- fail (printf "%s: %s" (index . 1) $o.Error) -}}
{{- end -}}
{{- if $o.kind -}}
{{- $docs = append $docs $o -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "docs" $docs) -}}
{{- end -}}

{{/* A name from deploy/: "dbaas-operator" at its start becomes the release's fullname. */}}
{{- define "dbaas-operator.rename" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- if hasPrefix "dbaas-operator" $name -}}
{{- printf "%s%s" (include "dbaas-operator.fullname" $root) (trimPrefix "dbaas-operator" $name) -}}
{{- else -}}
{{- printf "%s-%s" (include "dbaas-operator.fullname" $root) $name -}}
{{- end -}}
{{- end -}}
