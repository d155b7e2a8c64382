/** Prompts for a person at a terminal; @inquirer/prompts is imported only when one is shown. */

export async function askSecret(message: string): Promise<string> {
  const {password} = await import('@inquirer/prompts')
  return password({message, mask: '*', validate: (value) => (value.trim() ? true : 'A value is required')})
}

export async function askConfirm(message: string, defaultValue = false): Promise<boolean> {
  const {confirm} = await import('@inquirer/prompts')
  return confirm({message, default: defaultValue})
}
