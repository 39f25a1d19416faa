# Packer provisioners that bake the bootwatch agent into an AMI. Merge the `build` block's
# provisioners into your own template; the source block here is an example.
#
#   npm run build                      # produces dist/bootwatch-agent.mjs
#   packer build -var image_version=2026.11.3 agent/bake/packer/bootwatch.pkr.hcl

variable "image_version" {
  type        = string
  description = "The AMI version bootwatch reports (host.image.version), e.g. a date or semver."
}

variable "collector_url" {
  type    = string
  default = "https://bootwatch.internal.example.com"
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

locals {
  image_name = "web-${var.image_version}"
}

source "amazon-ebs" "web" {
  region        = var.region
  instance_type = "t3.small"
  ssh_username  = "ec2-user"
  ami_name      = local.image_name
  source_ami_filter {
    filters = {
      name                = "al2023-ami-2023.*-x86_64"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }
  # The agent reads the version from the manifest first; the tag is the fallback it can read
  # through IMDS when instance metadata tags are enabled on the launch template.
  tags = {
    "bootwatch:ami-version" = var.image_version
  }
}

build {
  sources = ["source.amazon-ebs.web"]

  provisioner "file" {
    source      = "dist/bootwatch-agent.mjs"
    destination = "/tmp/bootwatch-agent.mjs"
  }

  provisioner "file" {
    source      = "agent/bake/bootwatch-agent.service"
    destination = "/tmp/bootwatch-agent.service"
  }

  provisioner "shell" {
    environment_vars = [
      "IMAGE_VERSION=${var.image_version}",
      "IMAGE_NAME=${local.image_name}",
      "COLLECTOR_URL=${var.collector_url}",
      "BUILD_ID=${build.PackerRunUUID}",
    ]
    execute_command = "sudo -E sh -eu '{{ .Path }}'"
    inline = [
      # Node.js 20 or later runs the bundle; install it from the distribution if the base lacks it.
      "if ! command -v node >/dev/null; then dnf install -y nodejs20 && ln -sf /usr/bin/node-20 /usr/bin/node; fi",
      "node -e 'process.exit(Number(process.versions.node.split(\".\")[0]) >= 20 ? 0 : 1)'",
      "install -D -m 0644 /tmp/bootwatch-agent.mjs /opt/bootwatch/bootwatch-agent.mjs",
      "install -D -m 0644 /tmp/bootwatch-agent.service /etc/systemd/system/bootwatch-agent.service",
      "install -d -m 0755 /etc/bootwatch",
      # The image manifest: the version is baked here, never guessed at boot.
      "printf '{\"version\":\"%s\",\"name\":\"%s\",\"build_id\":\"%s\",\"built_at\":\"%s\"}\\n' \"$IMAGE_VERSION\" \"$IMAGE_NAME\" \"$BUILD_ID\" \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" > /etc/bootwatch/image.json",
      "printf 'collector:\\n  url: %s\\n' \"$COLLECTOR_URL\" > /etc/bootwatch/agent.yaml",
      # No secret is baked: the agent proves who it is with the signed instance identity document.
      # An empty spool means every instance launched from this image starts with a first boot.
      "rm -rf /var/lib/bootwatch",
      "systemctl daemon-reload",
      "systemctl enable bootwatch-agent.service",
    ]
  }

  # Register the AMI with the collector so that launches that never report are still charged to
  # this version. BOOTWATCH_ADMIN_TOKEN comes from the pipeline's secret store, not the image.
  post-processor "manifest" {
    output = "packer-manifest.json"
  }
  post-processor "shell-local" {
    environment_vars = ["IMAGE_VERSION=${var.image_version}", "IMAGE_NAME=${local.image_name}", "COLLECTOR_URL=${var.collector_url}"]
    inline = [
      "AMI=$(node -e 'const m=require(\"./packer-manifest.json\");const a=m.builds[m.builds.length-1].artifact_id;process.stdout.write(a.split(\":\")[1])')",
      "REGION=$(node -e 'const m=require(\"./packer-manifest.json\");process.stdout.write(m.builds[m.builds.length-1].artifact_id.split(\":\")[0])')",
      "curl -fsS -X POST \"$COLLECTOR_URL/api/v1/images\" -H \"authorization: Bearer $BOOTWATCH_ADMIN_TOKEN\" -H 'content-type: application/json' -d \"{\\\"amiId\\\":\\\"$AMI\\\",\\\"region\\\":\\\"$REGION\\\",\\\"name\\\":\\\"$IMAGE_NAME\\\",\\\"version\\\":\\\"$IMAGE_VERSION\\\"}\"",
    ]
  }
}
