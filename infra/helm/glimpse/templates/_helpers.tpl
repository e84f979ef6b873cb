{{/* Names are fixed (glimpse-<part>): the NATS subchart's values refer to glimpse-secrets, so one release per namespace. */}}

{{- define "glimpse.labels" -}}
app.kubernetes.io/name: glimpse
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "glimpse.selector" -}}
app.kubernetes.io/name: glimpse
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "glimpse.image" -}}
{{ printf "%s/glimpse-%s:%s" .root.Values.image.repository .service .root.Values.image.tag }}
{{- end }}

{{/* NATS_URL: every node of the NATS chart's StatefulSet, so a client fails over without a DNS lookup. */}}
{{- define "glimpse.natsUrl" -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.nats.config.cluster.replicas) -}}
{{- $urls = append $urls (printf "nats://%s-%d.%s-headless.%s.svc:4222" $.Values.nats.fullnameOverride $i $.Values.nats.fullnameOverride $.Release.Namespace) -}}
{{- end -}}
{{ join "," $urls }}
{{- end }}

{{/* What every Node service gets: production mode, NATS (all nodes, its own user, R3), metrics, its pod name. */}}
{{- define "glimpse.commonEnv" -}}
- { name: NODE_ENV, value: production }
- { name: LOG_LEVEL, value: {{ .root.Values.logLevel | quote }} }
- { name: NATS_URL, value: {{ include "glimpse.natsUrl" .root | quote }} }
- { name: NATS_REPLICAS, value: {{ .root.Values.nats.config.cluster.replicas | quote }} }
- { name: NATS_USER, value: {{ .user }} }
- name: NATS_PASSWORD
  valueFrom: { secretKeyRef: { name: glimpse-secrets, key: {{ printf "nats%sPassword" (title .user) }} } }
- { name: METRICS_PORT, value: {{ .root.Values.metricsPort | quote }} }
- name: INSTANCE_ID
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
{{- range $k, $v := .env }}
- { name: {{ $k }}, value: {{ $v | quote }} }
{{- end }}
{{- end }}

{{- define "glimpse.podMeta" -}}
labels:
  {{- include "glimpse.labels" .root | nindent 2 }}
  app.kubernetes.io/component: {{ .component }}
annotations:
  prometheus.io/scrape: "true"
  prometheus.io/port: {{ .root.Values.metricsPort | quote }}
  prometheus.io/path: /metrics
  checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
{{- end }}

{{- define "glimpse.podSpecCommon" -}}
serviceAccountName: glimpse
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Liveness and readiness of a Node service: its metrics listener answers only while the event loop runs. */}}
{{- define "glimpse.probes" -}}
livenessProbe:
  httpGet: { path: /metrics, port: metrics }
  initialDelaySeconds: 10
  periodSeconds: 20
  timeoutSeconds: 5
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /metrics, port: metrics }
  periodSeconds: 10
  timeoutSeconds: 5
{{- end }}

{{- define "glimpse.container" -}}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end }}
